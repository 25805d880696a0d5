"""The outbox sweep: re-queues pushes whose task was lost or whose worker died,
and deletes finished rows past ``NOTIFICATION_RETENTION_DAYS``.

    python manage.py sweep_notifications             # one pass (cron, or by hand)
    python manage.py sweep_notifications --every 30  # keep sweeping every 30 s

Any number may run: a re-queued row is still claimed by one worker only.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from notifications.services import sweep_notifications


class Command(BaseCommand):
    help = "Re-queue pending notifications nobody is delivering (lost task, dead worker); purge old finished ones."

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
        report = sweep_notifications(now=timezone.now())
        self.stdout.write(f"re-queued {len(report.requeued)}, gave up on {report.gave_up}, purged {report.purged}")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
