"""What challenges do when a participant's day changes.

``on_day_changes`` is the handler for the steps fan-out (registered in
``ChallengesConfig.ready()`` once ``steps.changes.day_changes`` exists on
main, issue 13). Boards need nothing from it, as they are scored from
``DayTotal`` when read; it tells the live boards which rows moved (coalesced
by ``rankings.board_feed``) and owes "overtaken" pushes to the people the
change went past on a running board.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accounts.models import User
from rankings.board_feed import note_board_changes

from . import pushes, selectors
from .models import Kind, Participant, State

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
    entries = Participant.objects.filter(
        user_id=user.pk, challenge__finalised_at__isnull=True, challenge__starts_on__lte=last,
        challenge__ends_on__gte=first,
    ).select_related("challenge")  # fmt: skip
    for entry in entries:
        challenge = entry.challenge
        inside = [c for c in changed if challenge.starts_on <= c.day <= challenge.ends_on]
        state = challenge.state_at(now)
        if not inside or state not in (State.RUNNING, State.GRACE):
            continue
        note_board_changes(period=LIVE_PERIOD, key=str(challenge.pk), users=[str(user.uuid)])
        if state == State.RUNNING and challenge.kind in OVERTAKING_KINDS and str(origin) not in QUIET_ORIGINS:
            rivals = selectors.passed_by(challenge=challenge, user=user, changes=inside)
            if rivals:
                pushes.queue_overtaken(challenge=challenge, passer=user, rivals=rivals, now=now)


def on_day_changes(event: Any) -> None:
    """The fan-out's after-commit handler (``steps.changes.DayChanges``)."""
    react_to_day_changes(user=event.user, changes=event.changes, origin=event.origin, now=event.now)
