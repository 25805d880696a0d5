"""Google Takeout, Fit.

- ``Takeout/Fit/Daily activity metrics/Daily activity metrics.csv``: one row a
  day, ``Date,...,Distance (m),...,Step count,...`` (Fit's merged numbers);
- ``Takeout/Fit/Daily activity metrics/2024-03-14.csv``: that day in
  intervals, ``Start time,End time,...,Step count,...`` with times like
  ``10:15:00.000+01:00`` (the date is the file's name);
- ``Takeout/Fit/All data/*.json``: ``{"Data Source": ..., "Data Points": [...]}``,
  points of ``com.google.step_count.delta`` with ``startTimeNanos``,
  ``endTimeNanos`` (UTC), ``originDataSourceId`` and ``fitValue[0].value.intVal``.

The CSVs are ``google:fit``; data points are ``google:<origin>``, the phone
or app that counted them. Data points carry no offset: they are placed in the
importing user's zone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .json_items import json_array_items
from .samples import EPOCH_ORDINAL, DayCount, ReaderError, Sample, parse_count, source_label

FIT_SOURCE = "google:fit"
STEP_DELTA = "com.google.step_count.delta"
_DAY_FILE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\.csv$")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([+-])(\d{2}):?(\d{2})|Z)?$")


def csv_rows(stream: IO[bytes], name: str) -> Iterator[tuple[int, list[str]]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        for row in reader:
            yield reader.line_num, row
    except (csv.Error, UnicodeDecodeError) as error:
        raise ReaderError(name, reader.line_num + 1, _("not a readable CSV (%(error)s)") % {"error": error}) from None


def _column(header: list[str], wanted: str, name: str) -> int:
    try:
        return header.index(wanted)
    except ValueError:
        raise ReaderError(name, 1, _('no "%(column)s" column') % {"column": wanted}) from None


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def read_daily_summary(stream: IO[bytes], name: str) -> Iterator[DayCount]:
    rows = csv_rows(stream, name)
    _first, header = next(rows, (1, []))
    day_at, steps_at = _column(header, "Date", name), _column(header, "Step count", name)
    distance_at = header.index("Distance (m)") if "Distance (m)" in header else None
    for line, row in rows:
        if not any(row):
            continue
        steps_text = _cell(row, steps_at)
        if not steps_text:
            continue
        try:
            day = date.fromisoformat(_cell(row, day_at)).toordinal() - EPOCH_ORDINAL
        except ValueError:
            raise ReaderError(
                name, line, _("%(value)s is not a date like 2024-03-14") % {"value": repr(_cell(row, day_at)[:40])}
            ) from None
        distance = None
        if distance_at is not None and _cell(row, distance_at):
            distance = parse_count(_cell(row, distance_at), name, line)
        yield DayCount(day, parse_count(steps_text, name, line), FIT_SOURCE, distance)


def _time_of_day(text: str, name: str, line: int) -> tuple[int, int]:
    """ "10:15:00.000+01:00" -> (seconds into the wall-clock day, offset minutes)."""
    match = _TIME.match(text)
    if not match:
        raise ReaderError(name, line, _("%(value)s is not a time like 10:15:00.000+01:00") % {"value": repr(text[:40])})
    hours, minutes, seconds, sign, off_h, off_m = match.groups()
    offset = int(off_h) * 60 + int(off_m) if sign else 0
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds), -offset if sign == "-" else offset


def read_day_intervals(stream: IO[bytes], name: str) -> Iterator[Sample]:
    found = _DAY_FILE.search(name)
    if not found:
        raise ReaderError(name, None, _("a day's activity file must be named like 2024-03-14.csv"))
    try:
        day = date(*map(int, found.groups())).toordinal() - EPOCH_ORDINAL
    except ValueError:
        raise ReaderError(name, None, _("a day's activity file must be named like 2024-03-14.csv")) from None
    rows = csv_rows(stream, name)
    _first, header = next(rows, (1, []))
    start_at, end_at = _column(header, "Start time", name), _column(header, "End time", name)
    steps_at = _column(header, "Step count", name)
    for line, row in rows:
        steps_text = _cell(row, steps_at)
        if not steps_text:
            continue
        steps = parse_count(steps_text, name, line)
        if not steps:
            continue
        start_clock, offset = _time_of_day(_cell(row, start_at), name, line)
        end_clock, end_offset = _time_of_day(_cell(row, end_at), name, line)
        start = day * 86400 + start_clock - offset * 60
        end = day * 86400 + end_clock - end_offset * 60
        if end < start:  # the last interval ends at midnight: the next day's 00:00
            end += 86400
        yield Sample(start, end, offset, steps, FIT_SOURCE)


def _origin_label(origin: str) -> str:
    for prefix in (f"raw:{STEP_DELTA}:", f"derived:{STEP_DELTA}:"):
        if origin.startswith(prefix):
            origin = origin[len(prefix) :]
            break
    return source_label("google", origin)


def read_data_points(stream: IO[bytes], name: str, *, zone: ZoneInfo) -> Iterator[Sample]:
    labels: dict[str, str] = {}
    offsets: dict[int, int] = {}  # UTC hour -> the zone's offset then
    for line, point in json_array_items(stream, name, key="Data Points"):
        if not isinstance(point, dict):
            raise ReaderError(name, line, _("a data point that is not an object"))
        if point.get("dataTypeName", STEP_DELTA) != STEP_DELTA:
            continue
        try:
            start = int(point["startTimeNanos"]) // 1_000_000_000
            end = int(point["endTimeNanos"]) // 1_000_000_000
            value = point["fitValue"][0]["value"]
            steps = value["intVal"] if "intVal" in value else value["fpVal"]
        except (KeyError, IndexError, TypeError, ValueError):
            raise ReaderError(
                name, line, _("a step point needs startTimeNanos, endTimeNanos and fitValue[0].value.intVal")
            ) from None
        if isinstance(steps, bool) or not isinstance(steps, int | float):
            raise ReaderError(name, line, _("%(value)s is not a step count") % {"value": repr(str(steps)[:40])})
        if end < start:
            raise ReaderError(name, line, _("a data point that ends before it starts"))
        steps = parse_count(str(steps), name, line)
        if not steps:
            continue
        origin = str(point.get("originDataSourceId") or "unknown")
        label = labels.get(origin)
        if label is None:
            label = labels[origin] = _origin_label(origin)
        hour = start // 3600
        offset = offsets.get(hour)
        if offset is None:
            try:
                instant = datetime.fromtimestamp(hour * 3600, tz=zone)
            except (OverflowError, OSError, ValueError):
                raise ReaderError(name, line, _("a data point outside the supported dates")) from None
            offset = offsets[hour] = int((instant.utcoffset() or timedelta()).total_seconds()) // 60
        yield Sample(start, end, offset, steps, label)
