"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os

from infrastructure.http.handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
# Django must be set up before anything imports models, so this comes first.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from infrastructure.sockets.auth import BrowserOriginValidator, TokenAuthMiddlewareStack  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# What exists by now (modules, settings, URL patterns and the views they
# import) lives as long as the process. Freezing it takes it out of the
# cyclic collector's reach: each full collection walked all of it, a pause
# of up to 60 ms that was the p99 of a leaderboard read (bench/rankings.py).
get_resolver().url_patterns  # noqa: B018 - imports every view now, not on a first request
gc.collect()
gc.freeze()

# And what the sockets hold lives as long as they do. A full collection walks
# it all: with 5,000 sockets a process, each one stopped the process for 0.5
# to 2 s, the p99 of every live feed and REST sync (bench/live.py, BENCH_GC=1).
# Full collections come when enough objects have survived the young ones, and
# with the young generation collected every 700 new objects (Python's
# default), whatever a request or a fan-out held at that moment survived: a
# full collection every few seconds under load, for objects that were about to
# go anyway. Collected every 20,000, those are mostly gone by then, and there
# was no full collection while writing. (Every 100,000 also had none, but each
# young collection, mostly freeing a request's reference cycles, then took
# 0.1-0.5 s on the bench's shared cores.)
YOUNG_GENERATION_THRESHOLD = 20_000
gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
