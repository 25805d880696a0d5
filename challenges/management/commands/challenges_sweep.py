"""The challenges sweep, by hand or as a loop (the same work as the beat task):
freezes challenges past their grace window, queues the pushes that fell due
(challenge starts, streak at risk, pushes held back by quiet hours).

    python manage.py challenges_sweep             # one pass (cron, or by hand)
    python manage.py challenges_sweep --every 60  # keep sweeping every 60 s

Any number may run: a challenge freezes once (its row lock), a push is owed once (the outbox's key).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from challenges import pushes, services


class Command(BaseCommand):
    help = "Finalise challenges past their grace window and queue challenge pushes that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Seconds between passes; 0 (default) runs once.")

    def handle(self, *args, every: float, **options) -> None:
        self.stopping = threading.Event()
        if every > 0 and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        if every <= 0:
            self.sweep_once()
            return
        while not self.stopping.is_set():
            close_old_connections()
            try:
                self.sweep_once()
            except Exception as exc:  # the database may be away for a moment: try again next pass
                self.stderr.write(f"sweep failed: {exc}")
            self.stopping.wait(every)

    def sweep_once(self) -> None:
        now = timezone.now()
        finalised = services.finalise_due(now=now)
        queued = pushes.queue_due_pushes(now=now)
        self.stdout.write(f"finalised {len(finalised)} challenge(s), queued {queued} push(es)")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
