"""Serializer pieces every app's API shares."""

import re
from datetime import date, datetime, time
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": _HH_MM, "example": "22:00"})
class WallClockField(serializers.Field):
    """A local time of day as ``HH:MM`` (no seconds, no offset: it is the user's wall clock)."""

    default_error_messages = {"invalid": _("Use a local time as HH:MM, e.g. 22:00.")}

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")

    def to_internal_value(self, data: Any) -> time:
        if not isinstance(data, str) or not re.fullmatch(_HH_MM, data):
            self.fail("invalid")
        return time(int(data[:2]), int(data[3:]))


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is an error and not a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            # DRF's CharField turns 42 or true into "42" or "True"; the schema says string, so does this.
            not_strings = sorted(
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and data.get(name) is not None
                and not isinstance(data[name], str)
            )
            if not_strings:
                raise serializers.ValidationError({name: [_("Not a valid string.")] for name in not_strings})
        return super().to_internal_value(data)


# The one range of dates every endpoint and socket accepts, checked as the
# value is parsed, before any arithmetic: a decade and more of imported
# history back, any clock's error ahead, and far from date.min/date.max,
# where adding a day or a time zone overflows.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# DRF fills the braces when a field fails (``self.fail("out_of_range", **SUPPORTED_RANGE)``).
OUT_OF_RANGE = _("Must be between {first} and {last}.")
SUPPORTED_RANGE = {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()}


def in_supported_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


class SupportedDateField(serializers.DateField):
    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        if not in_supported_range(day):
            self.fail("out_of_range", **SUPPORTED_RANGE)
        return day


class SupportedDateTimeField(serializers.DateTimeField):
    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def enforce_timezone(self, value: datetime) -> datetime:
        # Before any conversion: 9999-12-31T23:00-01:00 has no UTC datetime at all.
        if not in_supported_range(value.date()):
            self.fail("out_of_range", **SUPPORTED_RANGE)
        return super().enforce_timezone(value)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    """The validated input of a body or a query string, or a 400 in the error shape."""
    if isinstance(data, QueryDict):
        # A plain dict: on a QueryDict DRF reads `?date=` as "not given" (form
        # semantics) and would answer for a default instead of refusing it.
        data = data.dict()
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
