"""The real application plus one WebSocket echo route, so the shutdown test
has a socket to hold open whatever routes the apps define."""

from channels.generic.websocket import AsyncWebsocketConsumer

from pedometer_site.asgi import application as site_application


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


echo = Echo.as_asgi()


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == "/test/echo":
        return await echo(scope, receive, send)
    return await site_application(scope, receive, send)
