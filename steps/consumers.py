"""The steps sockets (protocol in README, "Live").

``/ws/steps/``: a signed-in phone streams counts; each message goes through
``record_steps``, exactly like a REST sync, and is answered with an ``ack``
or an ``error``.

``/ws/live/?users=<uuid,...>``: the watched users' totals for their local
today, first as a snapshot, then as they change (on any server process).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import ClassVar, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import users_visible_to
from infrastructure import metrics
from infrastructure.api.errors import DomainError
from infrastructure.sockets.auth import CLOSE_UNAUTHENTICATED
from infrastructure.sockets.consumers import CLOSE_BAD_REQUEST, CLOSE_TRY_AGAIN_LATER, JsonSocketConsumer
from infrastructure.sockets.groups import FrameSender, local_groups

from .broadcasts import STEP_MESSAGE_KEYS, user_group
from .changes import Origin
from .selectors import today_totals
from .services import DayChange, StepsValidationError, record_steps
from .sync_input import Sync, parse_steps_message, single_day_error

logger = logging.getLogger(__name__)

MAX_WATCHED_USERS = 100


@database_sync_to_async
def _record(user_pk: int, sync: Sync, now: datetime) -> list[DayChange] | None:
    # Fresh goal and time zone, as a REST request would have; None if the account is gone.
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if user is None:
        return None
    return record_steps(user=user, days=sync.days, hours=sync.hours, source=sync.source, now=now, origin=Origin.SOCKET)


class StepsConsumer(JsonSocketConsumer):
    socket_kind = "steps"
    message_handlers = {**JsonSocketConsumer.message_handlers, "steps": "on_steps"}
    # Listens to no group, so it needs no channel of its own: phones keep syncing
    # while Redis is down (the database is all a write needs).
    channel_layer_alias = None  # type: ignore[assignment]  # Channels reads None as "no layer"

    async def on_steps(self, message: dict) -> None:
        try:
            sync = parse_steps_message(message)
            changes = await _record(self.user.pk, sync, timezone.now())
        except StepsValidationError as exc:
            flat = single_day_error(exc)  # the rules' errors name days.0 too
            await self.send_error(flat.code, flat.message, flat.fields)
            return
        except DomainError as exc:
            await self.send_error(exc.code, exc.message, exc.fields)
            return
        except DatabaseError:
            logger.warning("live: a steps message could not be stored", exc_info=True)
            await self.send_error("service_unavailable", _("Could not store the count just now; send it again."))
            return
        if changes is None:
            await self.close_with(CLOSE_UNAUTHENTICATED)
            return
        metrics.SYNCS.labels(via="socket").inc()
        metrics.STEP_RECORDS_STORED.inc(len(sync.days) + len(sync.hours))
        day = sync.days[0].day
        change = next(change for change in changes if change.day == day)
        await self.send_json(
            {"type": "ack", "date": day.isoformat(), "steps": change.new_total, "goal_reached": change.goal_reached}
        )


def _requested_ids(query_string: bytes) -> list[str]:
    values = parse_qs(query_string.decode("latin-1")).get("users", [])
    ids = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return list(dict.fromkeys(ids))


class LiveConsumer(FrameSender, JsonSocketConsumer):
    """Joins its users' groups through ``LocalGroups``: a count reaches the
    process once and is written to every watcher there in one pass
    (``group_frame``); a revocation (``access_changed``) is handled in turn."""

    socket_kind = "live"
    fanout_event_types: ClassVar[frozenset[str]] = frozenset({"steps"})

    async def opened(self) -> None:
        self.joined: list[str] = []
        self.watched: set[str] = set()  # public ids whose counts this socket may forward
        requested = _requested_ids(self.scope.get("query_string", b""))
        if len(requested) > MAX_WATCHED_USERS:
            await self.send_error(
                "too_many_users", _("Watch at most %(count)d users on one socket.") % {"count": MAX_WATCHED_USERS}
            )
            await self.close_with(CLOSE_BAD_REQUEST)
            return
        visible, refused = await database_sync_to_async(users_visible_to)(
            viewer=cast(User, self.user), public_ids=requested
        )
        groups = [user_group(user.uuid) for user in visible]
        try:
            # Join before reading the snapshot, so a change between the two is not lost. One
            # at a time: a socket holds one Redis connection, not one per watched user.
            for group in groups:
                self.joined.append(group)
                await local_groups(self.channel_layer).join(group, self)
        except Exception:  # the channel layer (Redis) is down: nothing live to offer
            logger.warning("live: could not subscribe a watcher", exc_info=True)
            await self.send_error("service_unavailable", _("Live updates are unavailable; reconnect later."))
            await self.close_with(CLOSE_TRY_AGAIN_LATER)
            return
        self.watched = {str(user.uuid) for user in visible}
        await self.send_json({"type": "subscribed", "users": [str(user.uuid) for user in visible], "refused": refused})
        totals = await database_sync_to_async(today_totals)(users=visible, now=timezone.now())
        await self.send_json({"type": "snapshot", "totals": totals})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            try:
                await local_groups(self.channel_layer).leave(group, self)
            except Exception:  # group memberships expire on their own
                logger.info("live: could not leave %s", group, exc_info=True)

    def group_frame(self, event: dict) -> str | None:
        """A ``steps`` event from ``steps.broadcasts``, forwarded as is, unless the
        watched user was revoked (an event already in flight when it happened)."""
        if event["user"] not in self.watched:
            return None
        if "text" in event:
            return cast(str, event["text"])
        # from a process still on the previous release
        return json.dumps({key: event[key] for key in STEP_MESSAGE_KEYS}, cls=DjangoJSONEncoder)

    async def steps(self, event: dict) -> None:
        """The same, relayed here (behind a revocation being checked)."""
        text = self.group_frame(event)
        if text is not None:
            await self.send(text_data=text)

    async def access_changed(self, event: dict) -> None:
        """Someone watched here changed who may see them (visibility, a friendship,
        their account): check again, for this watcher, and stop if no longer allowed.
        Messages are handled one at a time, so no count slips past the check."""
        public_id = event["user"]
        if public_id not in self.watched:
            return
        visible, _hidden = await database_sync_to_async(users_visible_to)(
            viewer=cast(User, self.user), public_ids=[public_id]
        )
        if visible:
            return
        self.watched.discard(public_id)
        group = user_group(public_id)
        if group in self.joined:
            self.joined.remove(group)
            try:
                await local_groups(self.channel_layer).leave(group, self)
            except Exception:  # the membership expires on its own; counts are dropped above
                logger.info("live: could not leave %s", group, exc_info=True)
        await self.send_json({"type": "revoked", "user": public_id})
