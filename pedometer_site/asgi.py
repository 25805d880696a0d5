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
