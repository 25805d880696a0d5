"""Every WebSocket route, gathered from the apps that own them."""

from django.urls import path

from rankings.consumers import LeaderboardConsumer

websocket_urlpatterns: list = [
    path("ws/rankings/<str:period>/", LeaderboardConsumer.as_asgi()),
]
