"""Every WebSocket route, gathered from the apps that own them."""

from django.urls import path

from rankings.consumers import LeaderboardConsumer
from steps.consumers import LiveConsumer, StepsConsumer

websocket_urlpatterns: list = [
    path("ws/steps/", StepsConsumer.as_asgi()),
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/rankings/<str:period>/", LeaderboardConsumer.as_asgi()),
]
