"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from .http_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
# Django must be set up before anything imports models, so this comes first.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402
from .websocket_auth import BrowserOriginValidator, TokenAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
