"""The baseline `bench/ingest.py` measures the sync endpoint against: the same
server, authentication and JSON, and one raw max-wins upsert, nothing else.

Mounted at /api/v1/bench/ by the bench-only URLconf (bench/urls.py), so it
never exists in production. MySQL/MariaDB only.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

UPSERT = (
    "INSERT INTO steps_dailysteps (user_id, day, source, steps, flagged, created_at, updated_at) "
    "VALUES (%s, %s, 'bench-bare', %s, 0, %s, %s) "
    "ON DUPLICATE KEY UPDATE steps = GREATEST(steps, VALUES(steps)), updated_at = VALUES(updated_at)"
)


class BareUpsertView(APIView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        day, steps, now = date.fromisoformat(request.data["date"]), int(request.data["steps"]), timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(UPSERT, [request.user.pk, day, steps, now, now])
        return Response({"date": day.isoformat(), "steps": steps})


urlpatterns = [path("bare-upsert", BareUpsertView.as_view(), name="bench-bare-upsert")]
