"""The one parser of a sync. A REST body (``POST steps/sync``) and a
``steps`` message on ``/ws/steps/`` are validated by the same serializer, so
both refuse the same things in the same words. Only shape and types are
checked here; the rules (ranges, dates, hours on the hour at their own offset) are
``services.validate_sync``'s, which every path shares too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from infrastructure.api.errors import validation_error_parts, validation_message
from infrastructure.api.serializers import (
    SUPPORTED_RANGE,
    StrictSerializer,
    SupportedDateField,
    SupportedDateTimeField,
    in_supported_range,
)

from .changes import DaySample, HourSample
from .models import DEFAULT_SOURCE
from .services import StepsValidationError, check_sync_size

# A missing count and a null one are the same mistake to a phone; say it one way.
REQUIRED: dict[str, Any] = {"null": _("This field is required.")}


class WholeNumberField(serializers.IntegerField):
    """A count as JSON writes it: 12 or 12.0, never 12.5, "12" or true (the schema says integer)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class OffsetDateTimeField(SupportedDateTimeField):
    """An instant written with its UTC offset. A bare wall-clock time would have
    to be guessed in some zone, so it is refused rather than guessed."""

    default_error_messages = {"naive": _("Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00.")}

    def enforce_timezone(self, value: datetime) -> datetime:
        # Kept at the offset it was written with (DRF would move it to the server's zone):
        # an hour is filed on the local day of the offset the phone was at.
        if timezone.is_naive(value):
            self.fail("naive")
        if not in_supported_range(value.date()):
            self.fail("out_of_range", **SUPPORTED_RANGE)
        return value


class DayInput(StrictSerializer):
    date = SupportedDateField(help_text="Your local calendar day, YYYY-MM-DD.", error_messages=REQUIRED)
    steps = WholeNumberField(help_text="The day's total so far on this device (0 to 100,000).", error_messages=REQUIRED)
    distance_m = WholeNumberField(required=False, allow_null=True, help_text="Metres walked (0 to 250,000).")
    floors = WholeNumberField(required=False, allow_null=True, help_text="Floors climbed (0 to 3,000).")


class HourInput(StrictSerializer):
    start = OffsetDateTimeField(
        help_text="Start of the hour with the UTC offset the phone was at, on the hour at that offset (e.g. "
        "10:00+05:30 in Kolkata); filed on that offset's local day.",
        error_messages=REQUIRED,
    )
    steps = WholeNumberField(help_text="Steps in that hour on this device (0 to 15,000).", error_messages=REQUIRED)


class SyncInput(StrictSerializer):
    # A field named like Field.source: DRF's metaclass takes it off the class, so nothing is shadowed.
    source = serializers.CharField(  # type: ignore[assignment]
        required=False,
        default=DEFAULT_SOURCE,
        allow_blank=True,
        trim_whitespace=False,
        help_text="This device's id (1 to 64 characters); two devices' counts are never added up.",
    )
    days = DayInput(many=True, help_text="Day totals; may be empty when only hours are sent.")
    hours = HourInput(many=True, required=False, help_text="Hourly buckets.")


@dataclass(frozen=True)
class Sync:
    days: list[DaySample]
    hours: list[HourSample]
    source: str


def _item_count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def parse_sync(body: Any) -> Sync:
    """A sync body, ``{"days": [{date, steps, distance_m?, floors?}], "hours"?:
    [{start, steps}], "source"?}``, as samples; ``StepsValidationError`` naming
    every wrong field otherwise."""
    if isinstance(body, dict):
        # Before item-by-item parsing: a huge body is refused at the cost of a len().
        check_sync_size(_item_count(body.get("days")) + _item_count(body.get("hours")))
    plain = _parse_plain(body)
    return plain if plain is not None else _parse_with_serializer(body)


def _parse_with_serializer(body: Any) -> Sync:
    serializer = SyncInput(data=body)
    if not serializer.is_valid():
        message, fields = validation_error_parts(serializers.ValidationError(serializer.errors))
        raise StepsValidationError(message, fields=fields)
    data = serializer.validated_data
    return Sync(
        days=[DaySample(d["date"], d["steps"], d.get("distance_m"), d.get("floors")) for d in data["days"]],
        hours=[HourSample(h["start"], h["steps"]) for h in data.get("hours", [])],
        source=data["source"],
    )


_BODY_KEYS = frozenset({"source", "days", "hours"})
_DAY_KEYS = frozenset({"date", "steps", "distance_m", "floors"})
_HOUR_KEYS = frozenset({"start", "steps"})
# DRF's CharField refuses NUL and lone surrogates; let it say so.
_UNUSUAL_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
# Beyond this, a count is the serializer's to judge (Python refuses to print
# an int of more than 4,300 digits, which DRF reports as not an integer).
_PLAIN_COUNT_LIMIT = 10**18


def _plain_count(value: Any, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return type(value) is int and -_PLAIN_COUNT_LIMIT < value < _PLAIN_COUNT_LIMIT


def _parse_plain(body: Any) -> Sync | None:
    """What ``SyncInput`` makes of a body whose every value is of the plain
    form phones send (ints, ISO dates, instants with an offset, known keys),
    without DRF's per-item machinery: that was an eighth of a week's sync.
    Anything else is None, and the serializer parses it and words its errors.
    A test holds the two to the same answers."""
    if type(body) is not dict or not body.keys() <= _BODY_KEYS:
        return None
    source, days, hours = body.get("source", DEFAULT_SOURCE), body.get("days"), body.get("hours", [])
    if (
        type(source) is not str
        or _UNUSUAL_CHARACTERS.search(source)
        or type(days) is not list
        or type(hours) is not list
    ):
        return None
    day_samples, hour_samples = [], []
    try:
        for item in days:
            if type(item) is not dict or not item.keys() <= _DAY_KEYS or type(item.get("date")) is not str:
                return None
            steps, distance_m, floors = item.get("steps"), item.get("distance_m"), item.get("floors")
            if not (
                _plain_count(steps) and _plain_count(distance_m, optional=True) and _plain_count(floors, optional=True)
            ):
                return None
            day = date.fromisoformat(item["date"])  # what DRF's DateField reads a string with first
            if not in_supported_range(day):
                return None
            day_samples.append(DaySample(day, cast(int, steps), distance_m, floors))
        for item in hours:
            if type(item) is not dict or item.keys() != _HOUR_KEYS or type(item["start"]) is not str:
                return None
            if not _plain_count(item["steps"]):
                return None
            start = datetime.fromisoformat(item["start"])  # and its DateTimeField
            if start.utcoffset() is None or not in_supported_range(start.date()):
                return None
            hour_samples.append(HourSample(start, item["steps"]))
    except (ValueError, OverflowError):
        return None
    return Sync(days=day_samples, hours=hour_samples, source=source)


MESSAGE_ENVELOPE = {"type"}
MESSAGE_SYNC_FIELDS = {"hours", "source"}


def parse_steps_message(message: dict[str, Any]) -> Sync:
    """A ``steps`` message on the socket: one day, its fields flat beside
    ``hours`` and ``source``. Parsed as the sync body it stands for; errors
    about its day come back flat, as the client sent them."""
    day = {key: value for key, value in message.items() if key not in MESSAGE_ENVELOPE | MESSAGE_SYNC_FIELDS}
    body = {"days": [day], **{key: message[key] for key in MESSAGE_SYNC_FIELDS if key in message}}
    try:
        return parse_sync(body)
    except StepsValidationError as exc:
        flat = single_day_error(exc)
        raise StepsValidationError(validation_message(flat.fields or {}), fields=flat.fields) from exc


def single_day_error(exc: StepsValidationError) -> StepsValidationError:
    """A message's one day is ``days.0`` to the parser and to ``record_steps``;
    the socket client sent its fields flat, so report them flat (errors
    already flat pass through unchanged)."""
    fields = dict(exc.fields or {})
    days = fields.pop("days", None)
    if isinstance(days, dict):
        fields.update(days.get("0", {}))
    elif days is not None:
        fields["non_field_errors"] = days
    return StepsValidationError(exc.message, fields=fields)
