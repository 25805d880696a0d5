"""Turns what a client sent (a REST sync body or a live-socket message) into
samples for ``record_steps``, with errors keyed and worded like the REST API's:

    {"days": {"0": {"date": ["Date has wrong format. ..."]}}, "source": [...]}

Only shape and types are checked here; the rules (ranges, dates, hours on
the user's clock) live in ``steps.services.validate_sync`` so every path
shares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pedometer_site.serializers import OUT_OF_RANGE, in_supported_range

from .models import DEFAULT_SOURCE
from .services import DaySample, HourSample, StepsValidationError

REQUIRED = "This field is required."
NOT_AN_INTEGER = "A valid integer is required."
NOT_A_STRING = "Not a valid string."
BAD_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
BAD_DATETIME = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|Z]."
NEEDS_OFFSET = "Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00."
UNKNOWN_FIELD = "Unknown field."
NOT_AN_OBJECT = "Expected an object."

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_FIELDS = {"date", "steps", "distance_m", "floors"}
HOUR_FIELDS = {"start", "steps"}
SYNC_FIELDS = {"days", "hours", "source"}
LIVE_FIELDS = {"type", "hours", "source"} | DAY_FIELDS


@dataclass(frozen=True)
class SyncInput:
    days: list[DaySample]
    hours: list[HourSample]
    source: str


class _Problems:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    def add(self, path: tuple[str, ...], message: str) -> None:
        node = self.fields
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1], []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            names = ", ".join(sorted(self.fields))
            raise StepsValidationError(f"Invalid input in: {names}.", fields=self.fields)


def _integer(problems: _Problems, path: tuple[str, ...], value: Any, *, required: bool) -> int | None:
    if value is None:
        if required:
            problems.add(path, REQUIRED)
        return None
    # JSON has no integer type of its own: 12 and 12.0 are both accepted, 12.5 and "12" are not.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        problems.add(path, NOT_AN_INTEGER)
        return None
    return int(value)


def _day(problems: _Problems, path: tuple[str, ...], value: Any) -> date | None:
    if value is None:
        problems.add(path, REQUIRED)
        return None
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        problems.add(path, BAD_DATE)
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        problems.add(path, BAD_DATE)
        return None
    if not in_supported_range(day):
        problems.add(path, OUT_OF_RANGE)
        return None
    return day


def _instant(problems: _Problems, path: tuple[str, ...], value: Any) -> datetime | None:
    if value is None:
        problems.add(path, REQUIRED)
        return None
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        instant = None
    if instant is None:
        problems.add(path, BAD_DATETIME)
    elif instant.tzinfo is None:
        problems.add(path, NEEDS_OFFSET)
        return None
    elif not in_supported_range(instant.date()):
        problems.add(path, OUT_OF_RANGE)
        return None
    return instant


def _unknown(problems: _Problems, path: tuple[str, ...], data: dict, known: set[str]) -> None:
    for name in sorted(set(data) - known):
        problems.add((*path, name), UNKNOWN_FIELD)


def _day_sample(problems: _Problems, path: tuple[str, ...], data: dict) -> DaySample | None:
    day = _day(problems, (*path, "date"), data.get("date"))
    steps = _integer(problems, (*path, "steps"), data.get("steps"), required=True)
    distance_m = _integer(problems, (*path, "distance_m"), data.get("distance_m"), required=False)
    floors = _integer(problems, (*path, "floors"), data.get("floors"), required=False)
    if day is None or steps is None:
        return None
    return DaySample(day=day, steps=steps, distance_m=distance_m, floors=floors)


def _list(problems: _Problems, path: tuple[str, ...], value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, f'Expected a list of items but got type "{type(value).__name__}".')
        return []
    return value


def _items(problems: _Problems, name: str, value: Any, known: set[str]) -> list[tuple[tuple[str, ...], dict]]:
    items = []
    for index, item in enumerate(_list(problems, (name,), value)):
        path = (name, str(index))
        if isinstance(item, dict):
            _unknown(problems, path, item, known)
            items.append((path, item))
        else:
            problems.add((*path, "non_field_errors"), NOT_AN_OBJECT)
    return items


def _hour_samples(problems: _Problems, value: Any) -> list[HourSample]:
    hours = []
    for path, item in _items(problems, "hours", value, HOUR_FIELDS):
        start = _instant(problems, (*path, "start"), item.get("start"))
        steps = _integer(problems, (*path, "steps"), item.get("steps"), required=True)
        if start is not None and steps is not None:
            hours.append(HourSample(start=start, steps=steps))
    return hours


def _source(problems: _Problems, value: Any) -> str:
    if value is None:
        return DEFAULT_SOURCE
    if not isinstance(value, str):
        problems.add(("source",), NOT_A_STRING)
        return DEFAULT_SOURCE
    return value


def parse_sync(body: Any) -> SyncInput:
    """The REST sync body: ``{"days": [{date, steps, distance_m?, floors?}],
    "hours": [{start, steps}], "source"?}``."""
    problems = _Problems()
    if not isinstance(body, dict):
        problems.add(("non_field_errors",), NOT_AN_OBJECT)
        problems.raise_if_any()
    _unknown(problems, (), body, SYNC_FIELDS)
    days = [
        sample
        for path, item in _items(problems, "days", body.get("days"), DAY_FIELDS)
        if (sample := _day_sample(problems, path, item)) is not None
    ]
    hours = _hour_samples(problems, body.get("hours"))
    source = _source(problems, body.get("source"))
    problems.raise_if_any()
    return SyncInput(days=days, hours=hours, source=source)


def parse_live_steps(message: dict) -> SyncInput:
    """A ``steps`` message on the live socket: one day, flat, with optional hours:
    ``{"type": "steps", "date", "steps", "distance_m"?, "floors"?, "hours"?, "source"?}``."""
    problems = _Problems()
    _unknown(problems, (), message, LIVE_FIELDS)
    day = _day_sample(problems, (), {key: message[key] for key in DAY_FIELDS if key in message})
    hours = _hour_samples(problems, message.get("hours"))
    source = _source(problems, message.get("source"))
    problems.raise_if_any()
    assert day is not None  # every problem with it was raised above
    return SyncInput(days=[day], hours=hours, source=source)


def flatten_single_day_errors(fields: dict[str, Any]) -> dict[str, Any]:
    """``record_steps`` keys a live message's one day as ``days.0``; the socket
    client sent those fields flat, so report them flat."""
    fields = dict(fields)
    days = fields.pop("days", None)
    if isinstance(days, dict):
        for name, messages in days.get("0", {}).items():
            fields[name] = messages
    elif days is not None:
        fields["non_field_errors"] = days
    return fields
