"""After a sync commits, tell whoever watches that user (``/ws/live/``), on
any server process: one ``group_send`` per changed total of the user's local
today, to the group ``user.<uuid>``.

Telling is best effort. The database already holds the truth, and a watcher
that reconnects reads it first, so a channel layer that is down or slow costs
watchers a blink of liveness, never a sync: failures are logged and counted,
never raised.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.models import User
from infrastructure import metrics

from .changes import DayChanges, Origin
from .local_days import local_today

logger = logging.getLogger(__name__)

# A sync waits this long at most for Redis after its commit.
BROADCAST_TIMEOUT_SECONDS = 1.0


def user_group(public_id: object) -> str:
    return f"user.{public_id}"


def step_event(*, user: User, day: date, steps: int) -> dict:
    """The event watchers receive, as sent on the socket (``type`` names the
    consumer's handler as well)."""
    return {"type": "steps", "user": str(user.uuid), "date": day.isoformat(), "steps": steps}


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
        async_to_sync(_send)(user_group(user.uuid), events)
    except Exception:  # whatever the layer raises (ConnectionError, timeout, ...), the sync stands
        metrics.LIVE_BROADCAST_FAILURES.inc(len(events))
        logger.warning("live: could not broadcast %d step event(s) for %s", len(events), user.uuid, exc_info=True)


async def _send(group: str, events: list[dict]) -> None:
    layer = get_channel_layer()
    assert layer is not None  # settings always name a layer (in memory when there is no Redis)
    async with asyncio.timeout(BROADCAST_TIMEOUT_SECONDS):
        for event in events:
            await layer.group_send(group, event)
