"""``GET /api/v1/rankings/<period>``: parse, call the selector, render."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from infrastructure.api.serializers import StrictSerializer, SupportedDateField, validated
from infrastructure.api.throttling import ReadThrottle

from . import selectors, services
from .periods import EARLIEST_DATE, BoardKey, Period
from .selectors import MAX_LIMIT, MAX_OFFSET, Scope

SOURCE_HEADER = "X-Rankings-Source"
NAME_QUERY_MAX = 64  # as long as a display name can be


class BoardQuery(StrictSerializer):
    date = SupportedDateField(
        required=False,
        help_text="A date in the period (for rolling7, its last day). Default: your local today.",
    )
    scope = serializers.ChoiceField(choices=[s.value for s in Scope], default=Scope.GLOBAL.value)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NAME_QUERY_MAX,
        trim_whitespace=True,
        help_text=(
            "Only the people whose display name contains this (case-insensitive), among those you may see, "
            "each with their rank on the whole board. Ranked from SQL: one count per distinct total shown."
        ),
    )

    def validate_date(self, value: dt.date) -> dt.date:
        return checked_board_date(value)


def checked_board_date(value: dt.date) -> dt.date:
    """A board's date, as REST and the board socket accept it: no board is ahead of tomorrow."""
    latest = timezone.now().date() + timedelta(days=1)  # the furthest-ahead zone's today
    if not EARLIEST_DATE <= value <= latest:
        raise serializers.ValidationError(
            _("Must be between %(first)s and %(last)s.") % {"first": EARLIEST_DATE, "last": latest}
        )
    return value


class EntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Shared on equal steps: 1, 2, 2, 4.")
    user = serializers.UUIDField(source="user_id", help_text="The user's public id.")
    display_name = serializers.CharField()
    steps = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="Null when you have no steps in the period.")
    steps = serializers.IntegerField()
    steps_to_pass = serializers.IntegerField(
        allow_null=True, help_text="Steps needed to pass the person listed just above you; null at the top."
    )


class BoardSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=[p.value for p in Period])
    key = serializers.CharField(help_text="The board's name: 2026-11-25, 2026-W48, 2026-11 (rolling7: its end date).")
    start = serializers.DateField()
    end = serializers.DateField()
    scope = serializers.ChoiceField(choices=[s.value for s in Scope])
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    entries = EntrySerializer(many=True)
    me = MeSerializer()


class LeaderboardView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=[p.value for p in Period],
                description=(
                    "day: a local date; week: its ISO week (Monday first); month: its calendar month; "
                    "rolling7: the seven days ending on the date."
                ),
            ),
            BoardQuery,
        ],
        responses={
            200: OpenApiResponse(
                BoardSerializer,
                description=(
                    "Ranks are computed among the users you may see (public users, friends who share with friends, "
                    f"and you). Header `{SOURCE_HEADER}` says whether the index or SQL answered."
                ),
            )
        },
        tags=["rankings"],
        summary="A leaderboard page and your place on it",
    )
    def get(self, request: SignedInRequest, period: str) -> Response:
        if period not in {p.value for p in Period}:
            choices = ", ".join(p.value for p in Period)
            raise serializers.ValidationError({"period": [_("Must be one of: %(choices)s.") % {"choices": choices}]})
        params = validated(BoardQuery, request.query_params)
        now = timezone.now()
        day = params.get("date") or selectors.default_date(request.user, now)
        board = services.read_leaderboard(
            viewer=request.user,
            key=BoardKey.of(period, day),
            scope=Scope(params["scope"]),
            limit=params["limit"],
            offset=params["offset"],
            now=now,
            name=params.get("q", ""),
        )
        me = board.me
        # Rendered by hand (BoardSerializer documents the shape): DRF's field
        # machinery over a hundred rows costs more than reading the board.
        body = {
            "period": board.key.period.value,
            "key": board.key.label,
            "start": board.key.start.isoformat(),
            "end": board.key.end.isoformat(),
            "scope": board.scope.value,
            "offset": params["offset"],
            "limit": params["limit"],
            "entries": [
                {"rank": e.rank, "user": str(e.user_id), "display_name": e.display_name, "steps": e.steps}
                for e in board.entries
            ],
            "me": {
                "rank": me.rank if me else None,
                "steps": me.steps if me else 0,
                "steps_to_pass": me.steps_to_pass if me else None,
            },
        }
        return Response(body, headers={SOURCE_HEADER: board.source})
