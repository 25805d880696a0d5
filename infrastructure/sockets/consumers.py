"""What every JSON socket of ours does before its own work: refuse anonymous
sockets, refuse oversized frames, limit floods, parse JSON, route by
``type``, and answer problems with ``{"type": "error", "code", "message",
"fields"?}`` instead of crashing.

Close codes (documented in README, "Live"):
4401 not signed in (bad, expired or missing token), sent before any data;
4400 a request the socket cannot serve (e.g. too many users asked for);
4429 kept flooding after being told to slow down; 1009 frame too big;
1013 a dependency (Redis) is down, reconnect later; 1012 (from the server)
the process is restarting, reconnect.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from asgiref.typing import WebSocketDisconnectEvent
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from infrastructure import metrics
from infrastructure.i18n import language_for

from .auth import CLOSE_UNAUTHENTICATED
from .groups import RELAYED, send_to_groups

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_TOO_MANY_MESSAGES = 4429
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013

MAX_FRAME_BYTES = 64 * 1024
# A revocation waits this long at most for Redis after its commit.
TELL_TIMEOUT_SECONDS = 1.0


def session_group(public_id: object) -> str:
    """Every signed-in socket of one user joins this group, so ending the account
    (deleted, deactivated) closes them all, on every node."""
    return f"sessions.{public_id}"


SESSION_ENDED = {"type": "session.ended"}


def tell_groups(messages: list[tuple[str, dict]]) -> bool:
    """Sends each (group, event) through the channel layer, from sync code after a
    commit. Best effort like every broadcast here: False (logged) when the layer
    is down or slow; sockets catch up when they reconnect."""
    try:
        send_to_groups(messages, timeout=TELL_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("sockets: could not tell %d group(s)", len(messages), exc_info=True)
        return False
    return True


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; one per message."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def scope_language(scope: dict) -> str:
    """A socket's language by the one rule (``infrastructure.i18n``): its user's
    setting, else the handshake's ``Accept-Language``, else English. The auth
    middleware has loaded the user by the time a consumer runs: no query."""
    header = next((value for name, value in scope.get("headers", []) if name == b"accept-language"), b"")
    return language_for(scope.get("user"), header.decode("latin-1"))


class DirectDispatchMixin:
    """For async consumers whose database work all goes through
    ``database_sync_to_async`` (which closes stale connections itself).

    Every message is handled in the socket's language (``scope_language``),
    worked out once: a message's text, and any validation error raised while
    handling it, speaks it. ``override`` is safe across the awaits: Django keeps
    the active language per asyncio task (a context variable), each socket has
    its own task, and ``database_sync_to_async`` carries it into its thread.

    Channels runs ``close_old_connections()`` before every message, frames and
    group events alike: a hop to the one thread per process that also runs
    every query, so a thousand watchers' events queued behind (and ahead of)
    each write. Skipping it took p99 write-to-watcher from 214 to 68 ms at
    1,000 sockets (bench/live.py).

    It also counts down the events ``LocalGroups`` relayed here (``fanout_held``).
    """

    fanout_held = 0

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        language = getattr(self, "_language", None)
        if language is None:
            language = self._language = scope_language(self.scope)  # type: ignore[attr-defined]
        try:
            with translation.override(language):
                await handler(message)
        finally:
            if RELAYED in message:  # handled in turn: what comes next may skip the queue again
                self.fanout_held -= 1


class CountedSocketMixin:
    """Counts the socket in ``pedometer_socket_connections{kind}`` from
    ``count_open()`` until it closes, whichever side closes it. Counted in
    ``websocket_disconnect`` rather than ``disconnect()``, which subclasses
    override without calling up."""

    socket_kind: ClassVar[str]
    _counted = False

    def count_open(self) -> None:
        if not self._counted:
            self._counted = True
            metrics.SOCKET_CONNECTIONS.labels(kind=self.socket_kind).inc()

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        if self._counted:
            self._counted = False
            metrics.SOCKET_CONNECTIONS.labels(kind=self.socket_kind).dec()
        await super().websocket_disconnect(message)  # type: ignore[misc]


class JsonSocketConsumer(CountedSocketMixin, DirectDispatchMixin, AsyncWebsocketConsumer):
    """Subclasses add their client message types to ``message_handlers``
    (type -> method name) and put their own start in ``opened()``. Every
    socket answers ``{"type": "ping"}`` with ``{"type": "pong"}``."""

    message_handlers: ClassVar[dict[str, str]] = {"ping": "on_ping"}
    max_frame_bytes = MAX_FRAME_BYTES
    messages_per_second = 10.0
    message_burst = 20
    # Messages refused in a row (while out of tokens) before the socket is closed.
    refusals_before_close = 10

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError):
            if getattr(self, "channel_name", None) is not None:
                raise
            # The channel layer (Redis) failed while Channels was making this socket's
            # channel, before any of our code ran: answer the documented way, not with a 500.
            logger.warning("sockets: the channel layer is down; refusing a socket with 1013", exc_info=True)
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                with translation.override(scope_language(scope)):
                    message = str(_("Live updates are unavailable."))
                body = {"type": "error", "code": "service_unavailable", "message": message}
                await send({"type": "websocket.send", "text": json.dumps(body)})
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def connect(self) -> None:
        self.closing = False
        self.bucket = TokenBucket(rate=self.messages_per_second, burst=self.message_burst)
        self.refusals = 0
        # Accept first, then close, so the close code reaches the client: a socket
        # closed during the handshake is an HTTP 403 with no code at all.
        offered = self.scope.get("subprotocols") or []
        await self.accept("bearer" if "bearer" in offered else None)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close_with(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.count_open()
        if self.channel_layer is not None and not await self.join_session_group():
            return
        await self.opened()

    async def join_session_group(self) -> bool:
        try:
            await self.channel_layer.group_add(session_group(self.user.uuid), self.channel_name)
        except Exception:  # the channel layer (Redis) is down: nothing live to offer
            logger.warning("sockets: could not join the session group", exc_info=True)
            await self.send_error("service_unavailable", _("Live updates are unavailable; reconnect later."))
            await self.close_with(CLOSE_TRY_AGAIN_LATER)
            return False
        self.session_joined = True
        return True

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        if getattr(self, "session_joined", False):
            try:
                await self.channel_layer.group_discard(session_group(self.user.uuid), self.channel_name)
            except Exception:  # group memberships expire on their own
                logger.info("sockets: could not leave the session group", exc_info=True)
        await super().websocket_disconnect(message)

    async def session_ended(self, event: dict) -> None:
        """The account was deleted or deactivated: its sockets close at once."""
        await self.close_with(CLOSE_UNAUTHENTICATED)

    async def opened(self) -> None:
        """Runs once the socket is accepted and signed in."""

    async def close_with(self, code: int) -> None:
        self.closing = True
        await self.close(code)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, cls=DjangoJSONEncoder))

    async def send_error(self, code: str, message: str, fields: dict | None = None, **extra: Any) -> None:
        body: dict[str, Any] = {"type": "error", "code": code, "message": str(message)}
        if fields:
            body["fields"] = fields
        body.update(extra)
        await self.send_json(body)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        size = len(bytes_data) if bytes_data is not None else len((text_data or "").encode())
        if size > self.max_frame_bytes:
            await self.close_with(CLOSE_MESSAGE_TOO_BIG)
            return
        if not self.bucket.take():
            self.refusals += 1
            if self.refusals > self.refusals_before_close:
                await self.close_with(CLOSE_TOO_MANY_MESSAGES)
            elif self.refusals == 1:
                await self.send_error(
                    "throttled",
                    _("More than %(rate)s messages a second: slow down or the socket closes.")
                    % {"rate": f"{self.messages_per_second:g}"},
                    retry_after=1,
                )
            return
        self.refusals = 0
        message = self._decode(text_data)
        if message is None:
            await self.send_error("malformed_request", _("Each message must be one JSON object, sent as text."))
            return
        kind = message.get("type")
        handler_name = self.message_handlers.get(kind) if isinstance(kind, str) else None
        if handler_name is None:
            known = ", ".join(sorted(self.message_handlers))
            await self.send_error(
                "unknown_type", _("Unknown message type; this socket takes: %(types)s.") % {"types": known}
            )
            return
        handler: Callable[[dict], Awaitable[None]] = getattr(self, handler_name)
        await handler(message)

    async def on_ping(self, message: dict) -> None:
        await self.send_json({"type": "pong"})

    @staticmethod
    def _decode(text_data: str | None) -> dict | None:
        if text_data is None:
            return None
        try:
            message = json.loads(text_data)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None
