from django.urls import path

from . import api

urlpatterns = [
    path("imports", api.ImportListView.as_view(), name="imports"),
    path("imports/<uuid:job_id>", api.ImportDetailView.as_view(), name="import-detail"),
    path("me/export", api.ExportView.as_view(), name="me-export"),
]
