"""Our own export (``GET /api/v1/me/export``), read back: ``hours.csv`` and
``days.csv`` replay each source's counts on the days they were filed on, so
an account's history moves to another account unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import IO

from django.utils.translation import gettext as _

from .google import csv_rows
from .samples import EPOCH_ORDINAL, DayCount, HourCount, ReaderError, parse_count

HOURS_HEADER = ["start", "date", "source", "steps"]
DAYS_HEADER_START = ["date", "total"]


def _day(text: str, name: str, line: int) -> int:
    try:
        return date.fromisoformat(text).toordinal() - EPOCH_ORDINAL
    except ValueError:
        raise ReaderError(
            name, line, _("%(value)s is not a date like 2024-03-14") % {"value": repr(text[:40])}
        ) from None


def read_our_hours(stream: IO[bytes], name: str) -> Iterator[HourCount]:
    rows = csv_rows(stream, name)
    _first, header = next(rows, (1, []))
    if header != HOURS_HEADER:
        raise ReaderError(name, 1, _("expected the header %(header)s") % {"header": ",".join(HOURS_HEADER)})
    for line, row in rows:
        if len(row) != 4:
            raise ReaderError(name, line, _("expected 4 columns"))
        try:
            start = datetime.fromisoformat(row[0])
        except ValueError:
            raise ReaderError(
                name, line, _("%(value)s is not a time like 2024-03-14T07:00:00+00:00") % {"value": repr(row[0][:40])}
            ) from None
        if start.tzinfo is None:
            raise ReaderError(name, line, _("an hour's start needs its UTC offset"))
        source = row[2]
        if not 1 <= len(source) <= 64:
            raise ReaderError(name, line, _("a source must be 1 to 64 characters"))
        yield HourCount(int(start.timestamp()), _day(row[1], name, line), parse_count(row[3], name, line), source)


def read_our_days(stream: IO[bytes], name: str) -> Iterator[DayCount]:
    rows = csv_rows(stream, name)
    _first, header = next(rows, (1, []))
    if header[:2] != DAYS_HEADER_START:
        raise ReaderError(name, 1, _("expected the header date,total,<source>,..."))
    sources = header[2:]
    if any(not 1 <= len(source) <= 64 for source in sources):
        raise ReaderError(name, 1, _("a source must be 1 to 64 characters"))
    for line, row in rows:
        if not row:
            continue
        day = _day(row[0], name, line)
        for source, cell in zip(sources, row[2:], strict=False):
            if cell.strip():
                yield DayCount(day, parse_count(cell.strip(), name, line), source)
