"""Keeping the leaderboard index in step with MySQL, and telling the page.

MySQL is the truth; everything here writes Redis from it and may fail
without harm: a failed write marks its boards stale (they are rebuilt), and
nothing here ever raises into the sync that called it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.models import User, Visibility
from pedometer_site.socket_consumers import tell_groups
from steps.models import DayTotal

from . import index, selectors
from .board_feed import note_board_changes
from .periods import RETENTION, BoardKey, Period

if TYPE_CHECKING:
    from steps.services import DayChange

logger = logging.getLogger(__name__)

LIVE_PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)


def board_group(period: Period | str) -> str:
    """The channel-layer group of a period's live board feed."""
    return f"board.{period}"


def index_day_totals(*, user: User, changes: Sequence[DayChange]) -> None:
    """Called after ``record_steps`` commits, with the days whose totals changed.

    Writes the user's absolute totals for every board those days belong to
    (day, week, month, the seven rolling7 windows), then notes the change
    for the live boards. A lowered total (a staff correction) is forced
    past the index's max-wins rule.
    """
    if not changes:
        return
    force = any(change.new_total < change.old_total for change in changes)
    totals: dict[BoardKey, tuple[int, datetime | None]] = {}
    try:
        totals, visibility = _write_boards(user.pk, {change.day for change in changes}, force=force)
    except index.IndexUnavailable:
        pass  # the boards were marked stale; SQL answers until they are rebuilt
    except Exception:  # the sync is committed: never fail it because of the index
        logger.exception("rankings index write failed for user %s", user.pk)
    else:
        if visibility == Visibility.PUBLIC:
            _broadcast(user, totals)


def _boards_of(days: Iterable[date], now: datetime) -> list[BoardKey]:
    boards = {board for day in days for board in BoardKey.touched_by(day)}
    return sorted(board for board in boards if board.is_indexed(now))


def _write_boards(
    user_pk: int, days: Iterable[date], *, force: bool, remove: bool = False
) -> tuple[dict[BoardKey, tuple[int, datetime | None]], str]:
    """Recomputes the user's totals on every indexed board holding ``days``
    from MySQL and writes them, absolute. Returns them, and the visibility
    they were written with."""
    boards = _boards_of(days, timezone.now())
    if not boards:
        return {}, ""
    first, last = min(board.start for board in boards), max(board.end for board in boards)
    rows = list(
        DayTotal.objects.filter(user_id=user_pk, day__range=(first, last)).values_list("day", "steps", "reached_at")
    )
    visibility = User.objects.filter(pk=user_pk).values_list("visibility", flat=True).first() or ""
    public = visibility == Visibility.PUBLIC
    totals: dict[BoardKey, tuple[int, datetime | None]] = {}
    puts = []
    for board in boards:
        inside = [(steps, reached) for day, steps, reached in rows if board.start <= day <= board.end]
        total = sum(steps for steps, _ in inside)
        reached = max((reached for _, reached in inside), default=None)
        totals[board] = (total, reached)
        member = None
        if total > 0 and reached is not None and not remove:
            member = index.encode_member(steps=total, reached_at=reached, pk=user_pk)
        puts.append(index.Put(board=board, pk=user_pk, member=member, public=public))
    index.put_many(puts, force=force or remove)
    return totals, visibility


def _indexed_days(user_pk: int, now: datetime) -> list[date]:
    """The user's days that can be on a board whose index still lives."""
    oldest = now.date() - max(RETENTION.values()) - timedelta(days=40)
    return list(DayTotal.objects.filter(user_id=user_pk, day__gte=oldest).values_list("day", flat=True))


def reindex_user(*, user: User) -> None:
    """After a visibility change: rewrites the user on every live board, forced,
    so they join or leave the public sets at once."""
    try:
        _write_boards(user.pk, _indexed_days(user.pk, timezone.now()), force=True)
    except index.IndexUnavailable:
        pass
    except Exception:
        logger.exception("rankings reindex failed for user %s", user.pk)


def forget_user_on_commit(*, user: User) -> None:
    """Call inside the transaction that deletes ``user``: takes them off every
    board once it commits (their days are gone by then, so find them now)."""
    days = _indexed_days(user.pk, timezone.now())
    pk = user.pk

    def forget() -> None:
        try:
            _write_boards(pk, days, force=True, remove=True)
        except index.IndexUnavailable:
            pass
        except Exception:
            logger.exception("rankings removal failed for user %s", pk)

    transaction.on_commit(forget)


# --- Rebuild and self-repair -------------------------------------------------------


def rebuild_board(*, board: BoardKey, progress: Callable[[int], None] | None = None, batch: int = 10_000) -> int | None:
    """Rebuilds one board's index from MySQL into temporary keys and swaps
    them in atomically; readers see the old board until the swap. Returns how
    many users it wrote, or None when another process is already rebuilding it.
    Raises ``IndexUnavailable`` when Redis is down."""
    build = index.build_start(board)
    if build is None:
        return None
    written = 0
    try:
        for chunk in selectors.stream_board_totals(board, batch=batch):
            index.build_put(
                build,
                [
                    (pk, index.encode_member(steps=total, reached_at=reached, pk=pk), public)
                    for pk, total, reached, public in chunk
                ],
            )
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
        if not index.build_finish(build):
            raise RuntimeError(f"lost the rebuild lease of {board}")
    except BaseException:
        index.build_abort(build)
        raise
    return written


def request_repair(*, board: BoardKey) -> None:
    """A reader found ``board`` missing from the index: queue one rebuild,
    whichever node asks first (a short-lived marker in Redis decides)."""
    from .tasks import rebuild_board_task

    try:
        if index.claim_repair(board):
            rebuild_board_task.apply_async(args=[board.period.value, board.end.isoformat()], retry=False)
    except index.IndexUnavailable:
        pass
    except Exception:  # a broker hiccup: the marker expires and the next reader asks again
        logger.exception("could not queue the rebuild of %s", board)


# --- Live boards ---------------------------------------------------------------


def _broadcast(user: User, totals: dict[BoardKey, tuple[int, datetime | None]]) -> None:
    """Notes the user's change on the live boards; each board's feed
    (``rankings.board_feed``) sends the changed rows at most every 250 ms.
    Only public users are noted: these feeds are shared by every watcher."""
    for board in totals:
        if board.period in LIVE_PERIODS:
            note_board_changes(period=board.period.value, key=board.label, users=[str(user.uuid)])


# --- Account changes (accounts/events.py) ----------------------------------------

BOARD_REVOKED = "board.revoked"  # the board consumer's handler: ``board_revoked``


def _tell_boards(public_id: str, visibility: str) -> None:
    event = {"type": BOARD_REVOKED, "user": public_id, "visibility": visibility}
    tell_groups([(board_group(period), event) for period in LIVE_PERIODS])


def on_visibility_changed(*, user: User, before: str, after: str) -> None:
    """Boards stop (or start) showing the user at once, and open board sockets
    drop a user who is no longer public from their rows."""
    transaction.on_commit(lambda: reindex_user(user=user))
    if after != Visibility.PUBLIC:
        public_id = str(user.uuid)
        transaction.on_commit(lambda: _tell_boards(public_id, after))


def on_user_removed(*, user: User) -> None:
    forget_user_on_commit(user=user)
    public_id = str(user.uuid)
    transaction.on_commit(lambda: _tell_boards(public_id, "removed"))
