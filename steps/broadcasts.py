"""After a sync commits, tell whoever watches that user (``/ws/live/``), on
any server process: one ``group_send`` per changed total of the user's local
today, to the group ``user.<uuid>``.

Telling is best effort. The database already holds the truth, and a watcher
that reconnects reads it first, so a channel layer that is down or slow costs
watchers a blink of liveness, never a sync: failures are logged and counted,
never raised.
"""

from __future__ import annotations

import json
import logging
from datetime import date

from accounts.events import AccountDeactivated, AccountDeleted, FriendshipChanged, VisibilityChanged
from accounts.models import User
from infrastructure import metrics
from infrastructure.sockets.consumers import SESSION_ENDED, session_group, tell_groups
from infrastructure.sockets.groups import send_to_groups

from .changes import DayChanges, Origin
from .local_days import local_today

logger = logging.getLogger(__name__)

# A sync waits this long at most for Redis after its commit.
BROADCAST_TIMEOUT_SECONDS = 1.0


def user_group(public_id: object) -> str:
    return f"user.{public_id}"


STEP_MESSAGE_KEYS = ("type", "user", "date", "steps")


def step_event(*, user: User, day: date, steps: int) -> dict:
    """The event watchers receive, as sent on the socket (``type`` names the
    consumer's handler as well), plus ``text``: that message rendered once here,
    so each watching socket forwards it instead of encoding it again."""
    message = {"type": "steps", "user": str(user.uuid), "date": day.isoformat(), "steps": steps}
    return {**message, "text": json.dumps(message)}


# An import rewrites history (one rebuild at its end, no per-day event); a
# deleted account has no watchers left to tell.
SILENT_ORIGINS = frozenset({Origin.IMPORT, Origin.DELETION})


def broadcast_day_changes(event: DayChanges) -> None:
    """After commit (``steps.changes.day_changes``): today's changed total, to its watchers."""
    if event.origin in SILENT_ORIGINS:
        return
    user = event.user
    today = local_today(user, event.now)
    events = [
        step_event(user=user, day=change.day, steps=change.new_total)
        for change in event.changes
        if change.changed and change.day == today
    ]
    if not events:
        return
    try:
        send_to_groups([(user_group(user.uuid), event) for event in events], timeout=BROADCAST_TIMEOUT_SECONDS)
    except Exception:  # whatever the layer raises (ConnectionError, timeout, ...), the sync stands
        metrics.LIVE_BROADCAST_FAILURES.inc(len(events))
        logger.warning("live: could not broadcast %d step event(s) for %s", len(events), user.uuid, exc_info=True)


# --- Revocation: watchers lose what they may no longer see ---------------------

ACCESS_CHANGED = "access.changed"  # the consumer's handler: ``access_changed``


def access_event(public_id: object) -> dict:
    """Tells every watcher of ``public_id`` to check again whether they may see
    them. Each watcher checks for itself: who may see whom depends on who looks."""
    return {"type": ACCESS_CHANGED, "user": str(public_id)}


def revoke_on_visibility_changed(event: VisibilityChanged) -> None:
    """After commit (``accounts.events.visibility_changed``)."""
    tell_groups([(user_group(event.user.uuid), access_event(event.user.uuid))])


def revoke_on_friendship_ended(event: FriendshipChanged) -> None:
    """After commit (``accounts.events.friendship_changed``): each of the two
    may no longer see what the other showed only to friends."""
    if event.now_friends:
        return
    tell_groups([(user_group(user.uuid), access_event(user.uuid)) for user in event.users])


def end_account_sockets(event: AccountDeleted | AccountDeactivated) -> None:
    """After commit (``accounts.events.account_deleted`` and ``account_deactivated``):
    its watchers lose it, and its own sockets close (4401), on every node."""
    public_id = event.user.uuid
    tell_groups([(user_group(public_id), access_event(public_id)), (session_group(public_id), SESSION_ENDED)])
