"""The app exactly as ``pedometer_site.asgi`` builds it, plus one echo socket
(``/ws/bench-echo``), so the server benchmark can check that each server
carries Channels sockets through our auth middleware: the app has no socket
routes of its own yet. Used only by ``bench/asgi_servers.py``."""

from pedometer_site.asgi import django_asgi_app  # sets Django up before anything imports models

# isort: split
import json

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from infrastructure.sockets.auth import CLOSE_UNAUTHENTICATED, TokenAuthMiddlewareStack
from pedometer_site.routing import websocket_urlpatterns


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.send(text_data=json.dumps({"echo": text_data, "user": str(self.scope["user"].uuid)}))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            TokenAuthMiddlewareStack(URLRouter([path("ws/bench-echo", EchoConsumer.as_asgi()), *websocket_urlpatterns]))
        ),
    }
)
