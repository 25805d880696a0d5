"""Every WebSocket route, gathered from the apps that own them."""

from django.urls import path

from challenges.consumers import ChallengeBoardConsumer
from rankings.consumers import LeaderboardConsumer
from steps.consumers import LiveConsumer, StepsConsumer

websocket_urlpatterns: list = [
    path("ws/steps/", StepsConsumer.as_asgi()),
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/rankings/<str:period>/", LeaderboardConsumer.as_asgi()),
    path("ws/challenges/<int:challenge_id>/", ChallengeBoardConsumer.as_asgi()),
]
