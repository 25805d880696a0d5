"""What challenges do when a participant's day changes.

``on_day_changes`` is the handler for the steps fan-out (registered in
``ChallengesConfig.ready()``), after the commit: it writes the user's new
score on each open challenge's board index (``board_services``), tells the
live boards which rows moved (coalesced by ``rankings.board_feed``) and owes
"overtaken" pushes to the people the change went past on a running board.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection

from accounts.models import User
from rankings.board_feed import note_many_board_changes

from . import board_index, board_services, pushes, selectors
from .models import Challenge, Kind, Participant, State

logger = logging.getLogger(__name__)

LIVE_PERIOD = "challenge"  # the board feed's name for a challenge board; its key is the challenge id
# Kinds where passing someone is one number going past another; streaks and goal days move by whole days.
OVERTAKING_KINDS = (Kind.TOTAL, Kind.HEAD_TO_HEAD, Kind.TEAM)
QUIET_ORIGINS = ("import", "deletion")  # a history import or a deletion overtakes nobody


def react_to_day_changes(*, user: User, changes: Sequence[Any], origin: str, now: datetime) -> None:
    """``changes``: the days whose totals moved (``day``, ``old_total``, ``new_total``)."""
    changed = [change for change in changes if change.new_total != change.old_total]
    if not changed or user.pk is None:
        return
    first, last = min(c.day for c in changed), max(c.day for c in changed)
    if not _in_open_challenges(user.pk, first, last):
        return
    entries = Participant.objects.filter(
        user_id=user.pk, challenge__finalised_at__isnull=True, challenge__starts_on__lte=last,
        challenge__ends_on__gte=first,
    ).select_related("challenge")  # fmt: skip
    moved: list[tuple[Participant, list]] = []
    for entry in entries:
        challenge = entry.challenge
        inside = [c for c in changed if challenge.starts_on <= c.day <= challenge.ends_on]
        if inside and challenge.state_at(now) in (State.RUNNING, State.GRACE):
            moved.append((entry, inside))
    if not moved:
        return
    # A lowered day (a correction, a deletion) must pass the index's rule that scores only rise.
    force = any(c.new_total < c.old_total for _, inside in moved for c in inside)
    telling = {
        entry.challenge_id
        for entry, _ in moved
        if entry.challenge.kind in OVERTAKING_KINDS
        and entry.challenge.state_at(now) == State.RUNNING
        and str(origin) not in QUIET_ORIGINS
    }
    written = board_services.index_entries(
        user=user, entries=[entry for entry, _ in moved], force=force, telling=telling, now=now
    )
    note_many_board_changes((LIVE_PERIOD, str(entry.challenge_id), [str(user.uuid)]) for entry, _ in moved)
    owed: dict[int, tuple[Challenge, list[int]]] = {}
    for entry, inside in moved:
        challenge = entry.challenge
        if challenge.state_at(now) != State.RUNNING or challenge.kind not in OVERTAKING_KINDS:
            continue
        if str(origin) in QUIET_ORIGINS:
            continue
        rivals = _rivals(challenge, user, inside, written.get(challenge.pk))
        if rivals:
            owed[challenge.pk] = (challenge, rivals)
    if owed:
        # One query for the people, one for who was told already, whatever the number of boards.
        pushes.queue_overtaken_many(passer=user, owed=list(owed.values()), now=now)


def _in_open_challenges(user_pk: int, first: date, last: date) -> bool:
    """Does the user take part in an unfinalised challenge whose period meets
    ``first``..``last``? Most people, in most syncs, do not: asked in plain
    SQL, that answer costs a fifth of the ORM query that loads their entries
    (a sixth of a one-day sync's CPU, bench/ingest.py)."""
    ops = connection.ops
    sql = (
        f"SELECT 1 FROM {Participant._meta.db_table} p "  # noqa: S608 - parameters
        f"JOIN {Challenge._meta.db_table} c ON c.id = p.challenge_id "
        "WHERE p.user_id = %s AND c.finalised_at IS NULL AND c.starts_on <= %s AND c.ends_on >= %s LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_pk, ops.adapt_datefield_value(last), ops.adapt_datefield_value(first)])
        return cursor.fetchone() is not None


def _rivals(challenge: Challenge, user: User, inside: list, written: board_index.Written | None) -> list[int]:
    """The user pks ``user`` just went past: from what the index write saw when it
    answered, from SQL when it could not."""
    if written is None or written.status == -1:
        return [rival.pk for rival in selectors.passed_by(challenge=challenge, user=user, changes=inside)]
    if written.status == 0:  # a later write already stood: it told its own rivals
        return []
    if challenge.kind == Kind.TEAM:
        before, after, passed = written.team_old, written.team_new, written.teams_passed or []
    else:
        before, after, passed = written.old, written.new, written.passed or []
    if before is None or after is None or after.value <= before.value:
        return []
    # The index kept those ahead before (strictly more) and behind now (strictly less), not yet told today.
    gone_by = [s.pk for s in passed if before.value < s.value < after.value]
    if gone_by and challenge.kind == Kind.TEAM:
        members = Participant.objects.filter(challenge=challenge, team_id__in=gone_by)
        return list(members.values_list("user_id", flat=True))
    return gone_by


def on_day_changes(event: Any) -> None:
    """The fan-out's after-commit handler (``steps.changes.DayChanges``)."""
    react_to_day_changes(user=event.user, changes=event.changes, origin=event.origin, now=event.now)
