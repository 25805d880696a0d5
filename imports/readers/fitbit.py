"""Fitbit (Google Takeout): ``Fitbit/Global Export Data/steps-YYYY-MM-DD.json``.

    [{"dateTime": "03/14/24 10:00:00", "value": "52"}, ...]

One row a minute, in the wall-clock time of the tracker, with no offset and
string values. The file does not say the zone, so a row is placed on the
wall clock of the importing user's zone: its day is the date written, which
is what the Fitbit app showed; the offset (for the hour's UTC start) is that
zone's at that wall-clock time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .json_items import json_array_items
from .samples import EPOCH_ORDINAL, ReaderError, Sample, parse_count

SOURCE = "fitbit"
MINUTE = 60


def read_fitbit_steps(stream: IO[bytes], name: str, *, zone: ZoneInfo) -> Iterator[Sample]:
    offsets: dict[tuple[int, int], int] = {}  # (day, hour) of the wall clock -> offset minutes
    days: dict[str, int] = {}
    for line, item in json_array_items(stream, name):
        try:
            when, value = item["dateTime"], item["value"]
        except (TypeError, KeyError):
            raise ReaderError(name, line, _('expected {"dateTime": ..., "value": ...}')) from None
        if not isinstance(when, str) or not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ReaderError(name, line, _('expected {"dateTime": "MM/dd/yy HH:mm:ss", "value": "52"}'))
        try:
            if len(when) != 17 or when[2] != "/" or when[5] != "/" or when[8] != " ":
                raise ValueError
            day = days.get(when[:8])
            if day is None:
                day = date(2000 + int(when[6:8]), int(when[:2]), int(when[3:5])).toordinal() - EPOCH_ORDINAL
                days[when[:8]] = day
            hour, minute, second = int(when[9:11]), int(when[12:14]), int(when[15:17])
            if hour > 23 or minute > 59 or second > 59:
                raise ValueError
        except ValueError:
            raise ReaderError(
                name, line, _("%(value)s is not a time like 03/14/24 10:00:00") % {"value": repr(when[:40])}
            ) from None
        offset = offsets.get((day, hour))
        if offset is None:
            wall = datetime.fromordinal(day + EPOCH_ORDINAL).replace(hour=hour, tzinfo=zone)
            offset = offsets[(day, hour)] = int((wall.utcoffset() or timedelta()).total_seconds()) // 60
        steps = parse_count(str(value), name, line)
        if steps:
            start = day * 86400 + hour * 3600 + minute * 60 + second - offset * 60
            yield Sample(start, start + MINUTE, offset, steps, SOURCE)
