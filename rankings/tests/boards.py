"""Builders for the rankings tests: walks (syncs through the one write path,
with the after-commit index write run), friendships, and board reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.test import TestCase
from django.utils import timezone

from accounts.models import Friendship, FriendshipStatus, User
from rankings import index, selectors
from rankings.periods import BoardKey
from rankings.rebuild import rebuild_board
from steps.services import DaySample, record_steps

# Close to the real clock: Redis expires keys by its own clock, and boards
# older than the index keeps are served from SQL only.
NOW = timezone.now().replace(microsecond=0)
TODAY = NOW.date()
# A day whose whole week, month-to-date and rolling window lie in the past,
# within the sync API's 30-day backfill and the index's retention.
REF = TODAY - timedelta(days=10)


def walk(user: User, steps: int, day: date = REF, *, at: datetime | None = None, source: str = "phone"):
    """Syncs ``steps`` for ``day``, as of ``at`` (which becomes reached_at when the total rises)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return record_steps(user=user, days=[DaySample(day, steps)], source=source, now=at or NOW, max_age_days=None)


def befriend(a: User, b: User) -> None:
    Friendship.objects.create(from_user=a, to_user=b, status=FriendshipStatus.ACCEPTED, accepted_at=NOW)


def ask(a: User, b: User) -> None:
    Friendship.objects.create(from_user=a, to_user=b, status=FriendshipStatus.PENDING)


def at(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)


def rebuilt(period: str, day: date = REF) -> BoardKey:
    board = BoardKey.of(period, day)
    assert rebuild_board(board=board) is not None
    return board


def view(viewer: User | None, period: str, day: date = REF, *, use_index: bool, **kwargs) -> tuple:
    """A board as plain data (to compare the index with SQL), and where it came from."""
    board = selectors.leaderboard(
        viewer=viewer, key=BoardKey.of(period, day), now=timezone.now(), use_index=use_index, **kwargs
    )
    entries = [(e.rank, e.display_name, e.steps) for e in board.entries]
    return entries, board.me, board.source


def closed_port_url() -> str:
    # Nothing listens on port 1 of the loopback: connections are refused at once.
    return "redis://127.0.0.1:1/0"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


__all__ = ["NOW", "REF", "TODAY", "ask", "at", "befriend", "index", "rebuilt", "utc", "view", "walk"]
