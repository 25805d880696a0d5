"""Rebuilds leaderboard boards in the Redis index from MySQL.

    manage.py rebuild_rankings                       # every period, around today
    manage.py rebuild_rankings --period day --date 2026-11-25 --date 2026-11-24

Without --date it rebuilds the boards holding yesterday, today and tomorrow
(UTC), which covers every time zone's today. Each board is read in one
streaming query, written in pipelined batches into temporary keys, and
swapped in with RENAME: readers see the old board until the new one is whole.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils import timezone

from rankings import index, selectors
from rankings.periods import BoardKey, Period
from rankings.rebuild import rebuild_board


class ProgressBar:
    """A one-line bar on a terminal; a line every tenth of the way otherwise."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.done = 0
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self.last_tenth = -1

    def advance(self, count: int) -> None:
        self.done += count
        tenth = min(10, self.done * 10 // self.total)
        if self.tty:
            self._draw("\r")
        elif tenth != self.last_tenth:
            self.last_tenth = tenth
            self._draw("", newline=True)

    def _draw(self, start: str, newline: bool = False) -> None:
        share = min(1.0, self.done / self.total)
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        seconds = time.monotonic() - self.started
        line = f"{start}{self.label} [{bar}] {self.done:,}/{self.total:,} {seconds:.1f}s"
        self.stream.write(line, ending="\n" if newline else "")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = "Rebuild leaderboard boards in the Redis index from MySQL (atomically, with a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period", action="append", choices=[p.value for p in Period], help="Repeatable; default: all periods."
        )
        parser.add_argument(
            "--date", action="append", type=date.fromisoformat, help="YYYY-MM-DD, repeatable; default: around today."
        )
        parser.add_argument("--batch", type=int, default=10_000, help="Rows per pipelined batch.")

    def handle(self, *args, **options) -> None:
        if not index.enabled():
            raise CommandError(
                "No REDIS_URL or REDIS_SENTINELS: there is no index to rebuild (boards are served from SQL)."
            )
        periods = [Period(p) for p in options["period"] or [p.value for p in Period]]
        today = timezone.now().date()
        dates = options["date"] or [today - timedelta(days=1), today, today + timedelta(days=1)]
        boards = sorted({BoardKey.of(period, day) for period in periods for day in dates})
        for board in boards:
            self._rebuild(board, options["batch"])

    def _rebuild(self, board: BoardKey, batch: int) -> None:
        label = f"{board.period} {board.label}"
        if not board.is_indexed(timezone.now()):
            self.stdout.write(f"{label}: older than the index keeps; served from SQL, skipped")
            return
        bar = ProgressBar(self.stdout, label, selectors.board_size(board))
        started = time.monotonic()
        try:
            written = rebuild_board(board=board, progress=bar.advance, batch=batch)
        except index.IndexUnavailable as exc:
            raise CommandError(f"{label}: Redis is unavailable ({exc.reason})") from exc
        finally:
            bar.close()
        if written is None:
            self.stdout.write(f"{label}: another process is rebuilding it; skipped")
        else:
            self.stdout.write(f"{label}: {written:,} users in {time.monotonic() - started:.1f}s")
