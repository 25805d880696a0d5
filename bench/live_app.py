"""The ASGI application ``bench/live.py`` serves: the real one, plus one
bench-only piece.

``GET /bench/poll?users=<uuid,...>``: the original design's endpoint, which
every watcher polled once a second: authenticate the bearer token, read the
users' totals for today and the top of today's board from the database.
Served without Django's middleware stack, so polling's cost here is, if
anything, understated.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
django.setup()  # before anything below imports models

from channels.db import database_sync_to_async  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402

from accounts.selectors import users_visible_to  # noqa: E402
from pedometer_site.asgi import application as site_application  # noqa: E402
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
    return await site_application(scope, receive, send)


if os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=<path> bench/live.py: where the event loop's time goes
    import cProfile
    import signal

    _profile = cProfile.Profile()
    _profile.enable()

    def _dump(signum, frame) -> None:
        _profile.dump_stats(f"{os.environ['BENCH_PROFILE']}.{os.getpid()}")

    signal.signal(signal.SIGUSR1, _dump)


if os.environ.get("BENCH_GC"):  # BENCH_GC=1 bench/live.py: the cyclic collector's pauses, in the node logs
    import gc
    import sys
    import time

    _gc_started = [0.0]

    def _gc_timer(phase: str, info: dict) -> None:
        if phase == "start":
            _gc_started[0] = time.perf_counter()
        elif info["generation"] == 2 or time.perf_counter() - _gc_started[0] > 0.005:
            pause = (time.perf_counter() - _gc_started[0]) * 1000
            print(f"gc: generation {info['generation']} {pause:.1f} ms at {time.monotonic():.1f}", file=sys.stderr)

    gc.callbacks.append(_gc_timer)
