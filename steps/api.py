"""Step sync and history endpoints: parse types, call a service or selector, render.

The rules (bounds, dates, hour alignment, item count) live in
``steps.services``, so the WebSocket and the REST API refuse the same things
in the same words; the sync body is parsed by ``steps.sync_input``, which the
socket shares.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from infrastructure import metrics
from infrastructure.api.serializers import StrictSerializer, SupportedDateField, validated

from . import selectors, services
from .sync_input import SyncInput, parse_sync
from .throttles import ReadThrottle, SyncThrottle

# --- Input ------------------------------------------------------------------


class DaysQuery(StrictSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so the fields are declared here rather than as attributes.
        return {
            "from": SupportedDateField(required=False, help_text="First day (default: 29 days before `to`)."),
            "to": SupportedDateField(required=False, help_text="Last day (default: your local today)."),
        }


class HoursQuery(StrictSerializer):
    date = SupportedDateField(required=False, help_text="Your local day (default: today).")


class UUIDListField(serializers.CharField):
    default_error_messages = {"invalid_id": _("Not a valid id: {value!r}.")}

    def to_internal_value(self, data: Any) -> list[UUID]:  # type: ignore[override]  # text in, ids out
        text = super().to_internal_value(data)
        ids = []
        for part in (piece.strip() for piece in text.split(",")):
            if not part:
                continue
            try:
                ids.append(UUID(part))
            except ValueError:
                self.fail("invalid_id", value=part[:40])
        return ids


class UsersQuery(StrictSerializer):
    ids = UUIDListField(help_text="Comma-separated user ids, at most 100.")
    date = SupportedDateField(required=False, help_text="The day (default: your local today).")


# --- Output -----------------------------------------------------------------


class SyncedDaySerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    steps = serializers.IntegerField(source="new_total", help_text="Your stored total: the maximum over devices.")
    goal = serializers.IntegerField()
    goal_reached = serializers.BooleanField()


class SyncResponse(serializers.Serializer):
    days = SyncedDaySerializer(many=True, help_text="Every day the sync touched.")


class DayStepsSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    steps = serializers.IntegerField(
        allow_null=True, help_text="null when nothing was synced for the day (not the same as a day synced as 0)."
    )
    goal = serializers.IntegerField(help_text="The goal you had on that day; a later change never rewrites it.")
    goal_reached = serializers.BooleanField(allow_null=True, help_text="null on a day with no data.")


class DaysResponse(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(source="start"),
            "to": serializers.DateField(source="end"),
            "goal": serializers.IntegerField(help_text="Your current daily goal (each day carries its own)."),
            "days": DayStepsSerializer(many=True, help_text="Every day of the range, oldest first."),
        }


class WallClockDateTimeField(serializers.DateTimeField):
    """Renders an aware datetime with its own offset (DRF would convert it to UTC)."""

    def to_representation(self, value):
        return value.isoformat()


class HourStepsSerializer(serializers.Serializer):
    start = WallClockDateTimeField(help_text="Start of the hour, with the offset of the day's zone.")
    steps = serializers.IntegerField(help_text="The maximum over your devices.")


class HoursResponse(serializers.Serializer):
    date = SupportedDateField()
    timezone = serializers.CharField(help_text="The zone the day was walked in: yours then, not always yours now.")
    hours = HourStepsSerializer(many=True, help_text="Every hour of the day (23 or 25 on clock changes).")


class TodaySerializer(serializers.Serializer):
    steps = serializers.IntegerField(source="today_steps")
    goal = serializers.IntegerField(help_text="Today's goal.")
    progress = serializers.FloatField(help_text="steps / goal; above 1 once the goal is passed.")
    goal_reached = serializers.BooleanField()


class StreakSerializer(serializers.Serializer):
    current = serializers.IntegerField(
        source="current_streak",
        help_text="Consecutive goal days ending today, or yesterday while today's goal is not yet reached.",
    )
    best = serializers.IntegerField(source="best_streak")


class BestDaySerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    steps = serializers.IntegerField()


class AverageSerializer(serializers.Serializer):
    last_7_days = serializers.IntegerField(
        source="average_7d", allow_null=True, help_text="Over the days with data of the 7 before today; null if none."
    )
    last_30_days = serializers.IntegerField(
        source="average_30d", allow_null=True, help_text="Over the days with data of the 30 before today; null if none."
    )
    days_counted = serializers.SerializerMethodField(help_text="How many days with data each average is over.")

    def get_days_counted(self, summary) -> dict[str, int]:
        return {"last_7_days": summary.days_counted_7d, "last_30_days": summary.days_counted_30d}


class TotalsSerializer(serializers.Serializer):
    this_week = serializers.IntegerField(source="week_total", help_text="Monday through today.")
    this_month = serializers.IntegerField(source="month_total", help_text="The 1st through today.")


class SummaryResponse(serializers.Serializer):
    date = serializers.DateField(source="today", help_text="Your local today.")
    timezone = serializers.CharField()
    today = TodaySerializer(source="*")
    streak = StreakSerializer(source="*")
    best_day = BestDaySerializer(allow_null=True)
    average = AverageSerializer(source="*")
    totals = TotalsSerializer(source="*")


class UserDayStepsSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="user.uuid")
    display_name = serializers.CharField(source="user.display_name")
    date = serializers.DateField(source="day", help_text="The day asked for, or this user's own local today.")
    steps = serializers.IntegerField()
    goal_reached = serializers.BooleanField()


class UsersResponse(serializers.Serializer):
    date = serializers.DateField(allow_null=True, help_text="The day asked for; null: each user's own today.")
    users = UserDayStepsSerializer(many=True, help_text="Those you may see, in the order asked; others are absent.")


# --- Views ------------------------------------------------------------------

SYNC_EXAMPLE = {
    "source": "iphone-8F2C",
    "days": [{"date": "2026-11-25", "steps": 8421, "distance_m": 6100, "floors": 4}],
    "hours": [{"start": "2026-11-25T08:00:00+09:00", "steps": 1200}],
}


class SyncView(APIView):
    throttle_classes = [SyncThrottle]

    @extend_schema(
        request=SyncInput,
        responses={200: SyncResponse},
        tags=["steps"],
        examples=[OpenApiExample("One day with an hour", value=SYNC_EXAMPLE, request_only=True)],
        description=(
            "Stores a device's counts. Max-wins per (day, device) and (hour, device): a lower count than "
            "the stored one changes nothing, so retrying is always safe. All or nothing: one bad item "
            'rejects the sync with 400 naming it, e.g. {"fields": {"days": {"3": {"steps": [...]}}}}. '
            "At most 400 items; days from 30 days ago to your local tomorrow (clock skew)."
        ),
    )
    def post(self, request: SignedInRequest) -> Response:
        sync = parse_sync(request.data)
        changes = services.record_steps(
            user=request.user, days=sync.days, hours=sync.hours, source=sync.source, now=timezone.now()
        )
        metrics.SYNCS.labels(via="rest").inc()
        metrics.STEP_RECORDS_STORED.inc(len(sync.days) + len(sync.hours))
        # Built by hand rather than through SyncedDaySerializer (which documents it): this is the hot path.
        days = [
            {"date": c.day.isoformat(), "steps": c.new_total, "goal": c.goal, "goal_reached": c.goal_reached}
            for c in changes
        ]
        return Response({"days": days})


class DaysView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(parameters=[DaysQuery], responses={200: DaysResponse}, tags=["steps"])
    def get(self, request: SignedInRequest) -> Response:
        query = validated(DaysQuery, request.query_params)
        history = selectors.day_history(
            user=request.user, start=query.get("from"), end=query.get("to"), now=timezone.now()
        )
        return Response(DaysResponse(history).data)


class HoursView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(parameters=[HoursQuery], responses={200: HoursResponse}, tags=["steps"])
    def get(self, request: SignedInRequest) -> Response:
        query = validated(HoursQuery, request.query_params)
        day, zone, hours = selectors.hour_history(user=request.user, day=query.get("date"), now=timezone.now())
        body = {"date": day, "timezone": zone, "hours": hours}
        return Response(HoursResponse(body).data)


class SummaryView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(responses={200: SummaryResponse}, tags=["steps"])
    def get(self, request: SignedInRequest) -> Response:
        summary = selectors.step_summary(user=request.user, now=timezone.now())
        return Response(SummaryResponse(summary).data)


class UsersView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(
        parameters=[UsersQuery],
        responses={200: UsersResponse},
        tags=["steps"],
        description=(
            "Several people's steps for one day. Each is returned only if you may see them: yourself, "
            "anyone public, and accepted friends who share with friends. Unknown or hidden ids are absent."
        ),
    )
    def get(self, request: SignedInRequest) -> Response:
        query = validated(UsersQuery, request.query_params)
        day = query.get("date")
        entries = selectors.steps_of_users(viewer=request.user, ids=query["ids"], day=day, now=timezone.now())
        return Response(UsersResponse({"date": day, "users": entries}).data)
