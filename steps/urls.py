from django.urls import path

from . import api

urlpatterns = [
    path("sync", api.SyncView.as_view(), name="steps-sync"),
    path("days", api.DaysView.as_view(), name="steps-days"),
    path("hours", api.HoursView.as_view(), name="steps-hours"),
    path("summary", api.SummaryView.as_view(), name="steps-summary"),
    path("users", api.UsersView.as_view(), name="steps-users"),
]
