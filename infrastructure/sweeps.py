"""What every periodic sweep command shares: one pass by default, or a loop
with ``--every N`` that survives a passing database outage and stops cleanly
on SIGTERM/SIGINT. Subclasses write ``sweep_once()``."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class SweepCommand(BaseCommand):
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
        raise NotImplementedError

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
