"""Samsung Health: ``com.samsung.shealth.tracker.pedometer_step_count.<ts>.csv``.

    com.samsung.shealth.tracker.pedometer_step_count,6313005,3      <- metadata
    ...,com.samsung.health.step_count.start_time,...,com.samsung.health.step_count.count,...
    ...,2024-03-14 01:00:00.000,...,120,...,UTC+0900,...,Mf1y0OWbMy,...

``start_time`` and ``end_time`` are UTC; ``time_offset`` is the phone's zone
then; the source is the counting device (``samsung:<deviceuuid>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import IO

from django.utils.translation import gettext as _

from .google import csv_rows
from .samples import EPOCH_ORDINAL, ReaderError, Sample, parse_count, source_label

METADATA = "com.samsung.shealth.tracker.pedometer_step_count"
PREFIX = "com.samsung.health.step_count."
_OFFSET = re.compile(r"UTC([+-])(\d{2}):?(\d{2})$")
_INSTANT = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$")


def _instant(text: str, days: dict[str, int], name: str, line: int) -> int:
    match = _INSTANT.match(text)
    if not match:
        raise ReaderError(
            name, line, _("%(value)s is not a time like 2024-03-14 01:00:00.000") % {"value": repr(text[:40])}
        )
    year, month, day_of_month, hours, minutes, seconds = map(int, match.groups())
    day = days.get(text[:10])
    if day is None:
        try:
            day = days[text[:10]] = date(year, month, day_of_month).toordinal() - EPOCH_ORDINAL
        except ValueError:
            raise ReaderError(name, line, _("%(value)s is not a date") % {"value": repr(text[:40])}) from None
    return day * 86400 + hours * 3600 + minutes * 60 + seconds


def read_samsung_steps(stream: IO[bytes], name: str) -> Iterator[Sample]:
    rows = csv_rows(stream, name)
    _first, metadata = next(rows, (1, []))
    if not metadata or metadata[0] != METADATA:
        raise ReaderError(name, 1, _("expected the metadata line %(line)s,...") % {"line": METADATA})
    _second, header = next(rows, (2, []))
    columns = [column.removeprefix(PREFIX) for column in header]
    try:
        start_at, count_at, offset_at = (columns.index(c) for c in ("start_time", "count", "time_offset"))
    except ValueError:
        raise ReaderError(name, 2, _("expected start_time, count and time_offset columns")) from None
    end_at = columns.index("end_time") if "end_time" in columns else None
    device_at = columns.index("deviceuuid") if "deviceuuid" in columns else None
    days: dict[str, int] = {}
    labels: dict[str, str] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(start_at, count_at, offset_at):
            raise ReaderError(name, line, _("a row with fewer columns than the header"))
        steps = parse_count(row[count_at].strip() or "0", name, line)
        if not steps:
            continue
        offset_match = _OFFSET.match(row[offset_at].strip())
        if not offset_match:
            raise ReaderError(
                name, line, _("%(value)s is not an offset like UTC+0900") % {"value": repr(row[offset_at][:40])}
            )
        sign, off_h, off_m = offset_match.groups()
        offset = (int(off_h) * 60 + int(off_m)) * (-1 if sign == "-" else 1)
        start = _instant(row[start_at].strip(), days, name, line)
        end_text = row[end_at].strip() if end_at is not None and end_at < len(row) else ""
        end = _instant(end_text, days, name, line) if end_text else start
        if end < start:
            raise ReaderError(name, line, _("a row that ends before it starts"))
        device = row[device_at].strip() if device_at is not None and device_at < len(row) else ""
        label = labels.get(device)
        if label is None:
            label = labels[device] = source_label("samsung", device or "phone")
        yield Sample(start, end, offset, steps, label)
