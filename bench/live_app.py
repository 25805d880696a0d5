"""The ASGI application ``bench/live.py`` serves: the real one, plus two
bench-only pieces.

- ``GET /bench/poll?users=<uuid,...>``: the original design's endpoint, which
  every watcher polled once a second: authenticate the bearer token, read the
  users' totals for today and the top of today's board from the database.
  Served without Django's middleware stack, so polling's cost here is, if
  anything, understated.
- ``/ws/rankings/<period>/``, only while the routing has none (the rankings
  work brings the real one): a stand-in board socket on
  ``rankings.board_feed`` (at most one message per board per 250 ms), with
  the writes noted on commit and ranks read by SQL.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
django.setup()  # before anything below imports models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402

import steps.services as step_services  # noqa: E402
from accounts.selectors import users_visible_to  # noqa: E402
from pedometer_site.asgi import application as site_application  # noqa: E402
from pedometer_site.routing import websocket_urlpatterns  # noqa: E402
from pedometer_site.socket_consumers import JsonSocketConsumer  # noqa: E402
from pedometer_site.websocket_auth import BrowserOriginValidator, TokenAuthMiddleware  # noqa: E402
from rankings.board_feed import BoardFeed, board_group, note_board_changes, rows_message  # noqa: E402
from steps.models import DayTotal  # noqa: E402
from steps.selectors import today_totals  # noqa: E402

BOARD_TOP = 10


def _today_key() -> str:
    return datetime.now(UTC).date().isoformat()


def board_top(day: str, limit: int = BOARD_TOP) -> list[dict]:
    rows = DayTotal.objects.filter(day=day).order_by("-steps", "reached_at").select_related("user")[:limit]
    return [
        {"rank": n, "user": str(row.user.uuid), "display_name": row.user.display_name, "steps": row.steps}
        for n, row in enumerate(rows, start=1)
    ]


def board_rows_for(period: str, key: str, users: list[str]) -> list[dict]:
    rows = []
    for total in DayTotal.objects.filter(day=key, user__uuid__in=users).select_related("user"):
        rank = 1 + DayTotal.objects.filter(day=key, steps__gt=total.steps).count()
        if rank <= 100:
            user = total.user
            rows.append({"rank": rank, "user": str(user.uuid), "display_name": user.display_name, "steps": total.steps})
    return sorted(rows, key=lambda row: row["rank"])


def poll(query_string: bytes, authorization: str) -> tuple[int, dict]:
    """The original design: one request a second per watcher, all from the database."""
    auth = JWTAuthentication()
    try:
        viewer = auth.get_user(auth.get_validated_token(authorization.removeprefix("Bearer ").encode()))
    except Exception:
        return 401, {"error": {"code": "not_authenticated"}}
    ids = [item for item in parse_qs(query_string.decode()).get("users", [""])[0].split(",") if item]
    visible, _ = users_visible_to(viewer=viewer, public_ids=ids)
    return 200, {"totals": today_totals(users=visible, now=datetime.now(UTC)), "board": board_top(_today_key())}


class StandInBoardConsumer(JsonSocketConsumer):
    feed = BoardFeed(rows_for=board_rows_for)

    async def opened(self) -> None:
        self.board = (self.scope["url_route"]["kwargs"]["period"], _today_key())
        await self.channel_layer.group_add(board_group(*self.board), self.channel_name)
        self.feed.watch(*self.board)
        rows = await database_sync_to_async(board_top)(self.board[1])
        await self.send_json({"type": "snapshot", "period": self.board[0], "key": self.board[1], "rows": rows})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "board"):
            self.feed.unwatch(*self.board)
            await self.channel_layer.group_discard(board_group(*self.board), self.channel_name)

    async def board_rows(self, event: dict) -> None:
        await self.send_json(rows_message(event))


def _has_board_route() -> bool:
    return any(pattern.resolve("ws/rankings/day/") for pattern in websocket_urlpatterns)


if _has_board_route():
    websocket_app = site_application
else:
    _index_day_totals = step_services.index_day_totals

    def _index_and_note(*, user, changes) -> None:
        _index_day_totals(user=user, changes=changes)
        for change in changes:
            note_board_changes(period="day", key=change.day.isoformat(), users=[str(user.uuid)])

    step_services.index_day_totals = _index_and_note
    websocket_app = BrowserOriginValidator(
        AuthMiddlewareStack(
            TokenAuthMiddleware(
                URLRouter([*websocket_urlpatterns, path("ws/rankings/<str:period>/", StandInBoardConsumer.as_asgi())])
            )
        )
    )


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/bench/poll":
        headers = dict(scope["headers"])
        status, body = await database_sync_to_async(poll)(
            scope["query_string"], headers.get(b"authorization", b"").decode()
        )
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return None
    if scope["type"] == "websocket":
        return await websocket_app(scope, receive, send)
    return await site_application(scope, receive, send)
