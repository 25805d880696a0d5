from django.urls import path

from . import views

urlpatterns = [
    path("challenges/", views.challenge_list_page, name="challenge-list-page"),
    path("challenges/<int:challenge_id>/", views.challenge_page, name="challenge-page"),
]
