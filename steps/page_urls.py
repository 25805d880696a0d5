from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.personal_page, name="personal-page"),
]
