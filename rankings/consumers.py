"""``/ws/rankings/<period>/``: the live feed of a leaderboard page.

On connect: a ``snapshot`` of the board as this viewer sees it (top 100).
Then ``rows`` messages as people sync: ``{"type": "rows", "period", "key",
"rows": [{"rank", "user", "display_name", "steps"}]}``; the page applies the
rows whose ``key`` is the board it shows. Signed-out visitors may watch
(public users only reach this feed). A minimal consumer: the live work adds
coalescing and per-viewer rows.
"""

from __future__ import annotations

from datetime import date

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from pedometer_site import metrics

from . import selectors
from .periods import EARLIEST_DATE, BoardKey, Period
from .services import board_group

CLOSE_BAD_PERIOD = 4400
SNAPSHOT_ROWS = 100


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        period = self.scope["url_route"]["kwargs"]["period"]
        if period not in {p.value for p in Period}:
            await self.close(code=CLOSE_BAD_PERIOD)
            return
        self.period = Period(period)
        self.group = board_group(self.period)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.SOCKET_CONNECTIONS.inc()
        await self.send_json(await self._snapshot())

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            metrics.SOCKET_CONNECTIONS.dec()
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def board_rows(self, event: dict) -> None:
        await self.send_json({"type": "rows", "period": event["period"], "key": event["key"], "rows": event["rows"]})

    def _requested_date(self) -> date | None:
        query = self.scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "date":
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    return None
                return day if day >= EARLIEST_DATE else None
        return None

    @database_sync_to_async
    def _snapshot(self) -> dict:
        user = self.scope.get("user")
        viewer = user if user is not None and user.is_authenticated else None
        now = timezone.now()
        key = BoardKey.of(self.period, self._requested_date() or selectors.default_date(viewer, now))
        board = selectors.leaderboard(viewer=viewer, key=key, limit=SNAPSHOT_ROWS, now=now)
        rows = [
            {"rank": e.rank, "user": str(e.user_id), "display_name": e.display_name, "steps": e.steps}
            for e in board.entries
        ]
        return {"type": "snapshot", "period": key.period.value, "key": key.label, "rows": rows}
