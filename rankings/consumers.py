"""``/ws/rankings/<period>/``: the live feed of a leaderboard page.

On connect: a ``snapshot`` of the board (rows as below) as this viewer
sees it (top 100; ``?date=`` picks the board, default the viewer's local
today). Then, for day, week, month and rolling7, ``rows`` messages as people
sync, coalesced by ``rankings.board_feed`` to at most one per board every
250 ms across all processes: ``{"type": "rows", "period", "key", "rows":
[{"rank", "user", "display_name", "steps", "goal"}]}`` (goal: the user's
daily goal times the board's days), public users only, ranks as a signed-out
visitor sees them (the page re-ranks what it shows). The page applies rows
whose ``key`` is its board. Signed-out visitors may watch; a token that
does not sign anyone in (bad, expired, a deactivated account) is closed
with 4401 all the same.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework import serializers

from accounts.models import User, Visibility
from accounts.selectors import is_friend
from infrastructure.api.serializers import SupportedDateField
from infrastructure.sockets.auth import CLOSE_UNAUTHENTICATED, token_refused
from infrastructure.sockets.consumers import (
    CLOSE_TRY_AGAIN_LATER,
    CountedSocketMixin,
    DirectDispatchMixin,
    session_group,
)
from infrastructure.sockets.groups import FrameSender, local_groups

from . import selectors, services
from .api import checked_board_date
from .board_feed import EVENT_TYPE, BoardFeed, rows_text
from .periods import BoardKey, Period
from .services import LIVE_PERIODS, board_group

CLOSE_BAD_PERIOD = 4400
SNAPSHOT_ROWS = 100


def feed_rows(period: str, key: str, user_ids: list[str]) -> list[dict]:
    return selectors.public_rows(BoardKey.from_label(period, key), user_ids, within=SNAPSHOT_ROWS)


# One per process: it claims each watched board's changes every tick.
FEED = BoardFeed(rows_for=feed_rows, group_for=lambda period, key: board_group(period))


class LeaderboardConsumer(FrameSender, CountedSocketMixin, DirectDispatchMixin, AsyncJsonWebsocketConsumer):
    """Joins its board's group through ``LocalGroups``: each ``rows`` message is
    written to every socket of the process in one pass (``group_frame``); a
    ``board.revoked``, which may ask the database, is handled in turn."""

    socket_kind = "rankings"
    fanout_event_types: ClassVar[frozenset[str]] = frozenset({EVENT_TYPE})

    async def connect(self) -> None:
        # Accept first, then close, so the close code reaches the client: a socket
        # closed during the handshake is an HTTP 403 with no code at all.
        offered = self.scope.get("subprotocols") or []
        await self.accept("bearer" if "bearer" in offered else None)
        if token_refused(self.scope):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        period = self.scope["url_route"]["kwargs"]["period"]
        if period not in {p.value for p in Period}:
            await self.close(code=CLOSE_BAD_PERIOD)
            return
        self.period = Period(period)
        snapshot = await self._snapshot()
        try:
            await local_groups(self.channel_layer).join(board_group(self.period), self)
        except (RedisError, OSError):  # no live updates without the channel layer: come back later
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        viewer = self.scope.get("user")
        # The auth middleware puts one of our users there (lazily) once signed in.
        self.viewer: User | None = cast(User, viewer) if viewer is not None and viewer.is_authenticated else None
        if self.viewer is not None:
            try:  # deleting or deactivating the viewer's account closes this socket too
                await self.channel_layer.group_add(session_group(self.viewer.uuid), self.channel_name)
            except (RedisError, OSError):
                await local_groups(self.channel_layer).leave(board_group(self.period), self)
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return
        self.board = (self.period.value, snapshot["key"])
        if self.period in LIVE_PERIODS:
            FEED.watch(*self.board)
        self.count_open()
        if getattr(self, "date_error", None):
            await self.send_json(
                {"type": "error", "code": "validation_error", "message": _("Bad date; showing today's board."),
                 "fields": self.date_error}
            )  # fmt: skip
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "board"):
            if self.period in LIVE_PERIODS:
                FEED.unwatch(*self.board)
            await local_groups(self.channel_layer).leave(board_group(self.period), self)
            if self.viewer is not None:
                await self.channel_layer.group_discard(session_group(self.viewer.uuid), self.channel_name)

    def group_frame(self, event: dict) -> str | None:
        return rows_text(event)

    async def board_rows(self, event: dict) -> None:
        """The same, relayed here (behind a ``board.revoked`` being checked)."""
        await self.send(text_data=rows_text(event))

    async def board_revoked(self, event: dict) -> None:
        """A user left the public boards (went friends-only or private, or their
        account went): the page drops their row now, unless this viewer may still
        see them (themselves; a friend, for friends-only)."""
        public_id = event["user"]
        if self.viewer is not None and await self._still_sees(public_id, event["visibility"]):
            return
        await self.send_json({"type": "revoked", "period": self.board[0], "key": self.board[1], "user": public_id})

    async def session_ended(self, event: dict) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)

    @database_sync_to_async
    def _still_sees(self, public_id: str, visibility: str) -> bool:
        assert self.viewer is not None  # only asked for a signed-in viewer
        if str(self.viewer.uuid) == public_id:
            return visibility != "removed"
        if visibility != Visibility.FRIENDS:
            return False
        owner = User.objects.filter(uuid=public_id, is_active=True).first()
        return owner is not None and is_friend(self.viewer, owner)

    def _requested_date(self) -> date | None:
        """``?date=`` checked as the REST board checks it; a bad one is kept in
        ``date_error`` (told to the client) and the board is the default one."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("date")
        if not values:
            return None
        try:
            return checked_board_date(SupportedDateField().run_validation(values[0]))
        except serializers.ValidationError as exc:
            self.date_error = {"date": [str(message) for message in exc.detail]}
            return None

    @database_sync_to_async
    def _snapshot(self) -> dict:
        user = self.scope.get("user")
        # The auth middleware puts one of our users there (lazily) once signed in.
        viewer = cast(User, user) if user is not None and user.is_authenticated else None
        now = timezone.now()
        key = BoardKey.of(self.period, self._requested_date() or selectors.default_date(viewer, now))
        board = services.read_leaderboard(viewer=viewer, key=key, limit=SNAPSHOT_ROWS, now=now)
        rows = [
            {
                "rank": e.rank,
                "user": str(e.user_id),
                "display_name": e.display_name,
                "steps": e.steps,
                "goal": e.daily_goal * key.days,
            }
            for e in board.entries
        ]
        return {"type": "snapshot", "period": key.period.value, "key": key.label, "rows": rows}
