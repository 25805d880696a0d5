"""Keeping the leaderboard index in step with MySQL, and telling the page.

MySQL is the truth; everything here writes Redis from it and may fail
without harm: a failed write marks its boards stale (they are rebuilt), and
nothing here ever raises into the sync that called it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from accounts.events import AccountDeactivated, AccountDeleted, VisibilityChanged
from accounts.models import User, Visibility
from infrastructure.sockets.consumers import tell_groups
from steps.changes import DayChange, DayChanges
from steps.models import DayTotal

from . import index, selectors
from .board_feed import note_many_board_changes
from .periods import RETENTION, BoardKey, Period
from .tasks import rebuild_board_task

logger = logging.getLogger(__name__)

LIVE_PERIODS = (Period.DAY, Period.WEEK, Period.MONTH, Period.ROLLING7)


def board_group(period: Period | str) -> str:
    """The channel-layer group of a period's live board feed."""
    return f"board.{period}"


def index_day_changes(event: DayChanges) -> None:
    """After commit (``steps.changes.day_changes``), whatever the origin: a
    correction or a deletion lowers totals the index must follow."""
    _index(event.user_pk, event.user.uuid, event.changes)


def index_day_totals(*, user: User, changes: Sequence[DayChange]) -> None:
    _index(user.pk, user.uuid, changes)


def _index(user_pk: int, public_id: UUID, changes: Sequence[DayChange]) -> None:
    """Writes the user's absolute totals for every board the changed days
    belong to (day, week, month, the seven rolling7 windows), then notes the
    change for the live boards. A lowered total (a staff correction, a
    deletion) is forced past the index's max-wins rule.
    """
    if not changes:
        return
    force = any(change.new_total < change.old_total for change in changes)
    try:
        totals, visibility = _write_boards(user_pk, {change.day for change in changes}, force=force)
    except Exception:  # the change is committed: never fail it because of the index
        logger.exception("rankings index write failed for user %s", user_pk)
        return
    # The live boards hear of the change whether or not the index took it:
    # with no Redis (the embedded default) or Redis down, the feed's rows come
    # from SQL, and the page must move all the same.
    if visibility == Visibility.PUBLIC:
        _broadcast(public_id, totals)


def _boards_of(days: Iterable[date], now: datetime) -> list[BoardKey]:
    boards = {board for day in days for board in BoardKey.touched_by(day)}
    return sorted(board for board in boards if board.is_indexed(now))


def _write_boards(
    user_pk: int, days: Iterable[date], *, force: bool, remove: bool = False
) -> tuple[dict[BoardKey, tuple[int, datetime | None]], str]:
    """Recomputes the user's totals on every indexed board holding ``days``
    from MySQL and writes them, absolute (a user with no rows left, deleted
    or corrected to 0, leaves the boards; ``remove`` takes them off whatever
    their rows, a deactivated account). Returns them, and the visibility
    they were written with."""
    boards = _boards_of(days, timezone.now())
    if not boards:
        return {}, ""
    first, last = min(board.start for board in boards), max(board.end for board in boards)
    visibility, rows = _visibility_and_totals(user_pk, first, last)
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
    # Disabled, or the boards were marked stale: SQL answers until they are rebuilt.
    with contextlib.suppress(index.IndexUnavailable):
        index.put_many(puts, force=force or remove)
    return totals, visibility


def _visibility_and_totals(user_pk: int, first: date, last: date) -> tuple[str, list[tuple[date, int, datetime]]]:
    """The user's visibility ("" once the account is gone) and their day totals
    from ``first`` to ``last``, in one round trip: every sync runs this after
    its commit, and two ORM queries cost more CPU than the rest of the write."""
    ops = connection.ops
    sql = (
        f"SELECT u.visibility, t.day, t.steps, t.reached_at FROM {User._meta.db_table} u "  # noqa: S608 - parameters
        f"LEFT JOIN {DayTotal._meta.db_table} t ON t.user_id = u.id AND t.day BETWEEN %s AND %s WHERE u.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ops.adapt_datefield_value(first), ops.adapt_datefield_value(last), user_pk])
        found = cursor.fetchall()
    if not found:
        return "", []
    # A raw cursor hands datetimes back naive; Django stores them in UTC.
    rows = [
        (day, steps, reached if reached.tzinfo else reached.replace(tzinfo=UTC))
        for _, day, steps, reached in found
        if day is not None
    ]
    return found[0][0], rows


def _indexed_days(user_pk: int, now: datetime) -> list[date]:
    """The user's days that can be on a board whose index still lives."""
    oldest = now.date() - max(RETENTION.values()) - timedelta(days=40)
    return list(DayTotal.objects.filter(user_id=user_pk, day__gte=oldest).values_list("day", flat=True))


def reindex_user(*, user: User) -> None:
    """After a visibility change: rewrites the user on every live board, forced,
    so they join or leave the public sets at once."""
    try:
        _write_boards(user.pk, _indexed_days(user.pk, timezone.now()), force=True)
    except Exception:
        logger.exception("rankings reindex failed for user %s", user.pk)


def on_visibility_changed(event: VisibilityChanged) -> None:
    """After commit (``accounts.events.visibility_changed``)."""
    reindex_user(user=event.user)


# --- Rebuild and self-repair -------------------------------------------------------


def read_leaderboard(**query: Any) -> selectors.Board:
    """``selectors.leaderboard``, and when the index had lost that board, one
    rebuild queued (the selector only reads)."""
    board = selectors.leaderboard(**query)
    if board.index_lost:
        request_repair(board=board.key)
    return board


def request_repair(*, board: BoardKey) -> None:
    """A reader found ``board`` missing from the index: queue one rebuild,
    whichever node asks first (a short-lived marker in Redis decides)."""
    try:
        if index.claim_repair(board):
            rebuild_board_task.apply_async(args=(board.period.value, board.end.isoformat()), retry=False)
    except index.IndexUnavailable:
        pass
    except Exception:  # a broker hiccup: the marker expires and the next reader asks again
        logger.exception("could not queue the rebuild of %s", board)


# --- Live boards ---------------------------------------------------------------


def _broadcast(public_id: UUID, totals: dict[BoardKey, tuple[int, datetime | None]]) -> None:
    """Notes the user's change on the live boards; each board's feed
    (``rankings.board_feed``) sends the changed rows at most every 250 ms.
    Only public users are noted: these feeds are shared by every watcher."""
    # A day's change touches the seven rolling windows ending on it and after
    # it; only those ending by tomorrow (the furthest-ahead zone's today) can
    # have watchers, so the later ones are not noted.
    latest = timezone.now().date() + timedelta(days=1)
    note_many_board_changes(
        (board.period.value, board.label, [str(public_id)])
        for board in totals
        if board.period in LIVE_PERIODS and not (board.period is Period.ROLLING7 and board.end > latest)
    )


# --- Revocation: open board sockets drop who their watchers may no longer see ----

BOARD_REVOKED = "board.revoked"  # the board consumer's handler: ``board_revoked``
REMOVED = "removed"  # the ``visibility`` a board event gives an account that went


def _tell_boards(public_id: str, visibility: str) -> None:
    event = {"type": BOARD_REVOKED, "user": public_id, "visibility": visibility}
    tell_groups([(board_group(period), event) for period in LIVE_PERIODS])


def revoke_from_boards(event: VisibilityChanged) -> None:
    """After commit (``accounts.events.visibility_changed``), after the reindex:
    open board sockets drop a user who is no longer public from their rows."""
    if event.user.visibility != Visibility.PUBLIC:
        _tell_boards(str(event.user.uuid), event.user.visibility)


def revoke_deleted_from_boards(event: AccountDeleted) -> None:
    """After commit (``accounts.events.account_deleted``): the index forgets
    them through the deletion's day changes; open board sockets drop them now."""
    _tell_boards(str(event.user.uuid), REMOVED)


def forget_deactivated(event: AccountDeactivated) -> None:
    """After commit (``accounts.events.account_deactivated``): a deactivated
    account's rows stay, so it is taken off every live board here, and open
    board sockets drop it."""
    user_pk = event.user.pk
    try:
        _write_boards(user_pk, _indexed_days(user_pk, timezone.now()), force=True, remove=True)
    except Exception:
        logger.exception("rankings removal failed for user %s", user_pk)
    _tell_boards(str(event.user.uuid), REMOVED)
