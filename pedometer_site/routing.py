"""Every WebSocket route, gathered from the apps that own them."""

from django.urls import path

from challenges.consumers import ChallengeBoardConsumer
from rankings.consumers import LeaderboardConsumer
from steps.consumers import LiveConsumer, StepsConsumer

# Django's path() types its view as an HTTP view; Channels' URLRouter takes ASGI apps in it.
websocket_urlpatterns: list = [
    path("ws/steps/", StepsConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/live/", LiveConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/rankings/<str:period>/", LeaderboardConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/challenges/<int:challenge_id>/", ChallengeBoardConsumer.as_asgi()),  # type: ignore[arg-type]
]
