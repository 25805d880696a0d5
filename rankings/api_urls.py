from django.urls import path

from . import api

urlpatterns = [
    path("rankings/<str:period>", api.LeaderboardView.as_view(), name="rankings"),
]
