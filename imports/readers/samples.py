"""What every reader yields, and how it says a file is bad.

Instants are plain integers (seconds since the Unix epoch, UTC) rather than
datetimes: an Apple export holds millions of records, and building two aware
datetimes per record cost more than parsing the XML (bench/imports.py).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import NamedTuple

from django.utils.translation import gettext as _

# date.toordinal() of 1970-01-01: epoch seconds <-> calendar days without datetimes.
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SOURCE_MAX_LENGTH = 64  # steps.models.DailySteps.source


class Sample(NamedTuple):
    """Steps counted between two instants by one source, which kept its
    clock at ``offset`` minutes from UTC (the sample's own zone: the day it
    belongs to is the local day there)."""

    start: int  # UTC epoch seconds
    end: int  # UTC epoch seconds, >= start
    offset: int  # minutes east of UTC
    steps: int
    source: str


class HourCount(NamedTuple):
    """One source's steps in an hour already bucketed and filed on a day
    (our own export: replayed as it was stored)."""

    start: int  # UTC epoch seconds of the hour's start
    day: int  # days since 1970-01-01
    steps: int
    source: str


class DayCount(NamedTuple):
    """A source's total for a local day, where the file has no finer grain
    (Google Fit's daily summary, our own export's days)."""

    day: int  # days since 1970-01-01
    steps: int
    source: str
    distance_m: int | None = None


class ReaderError(Exception):
    """A file that cannot be read: the message names the file and the line,
    in the language active where it is raised (the job runs in its owner's)."""

    def __init__(self, name: str, line: int | None, problem: str) -> None:
        where = _("%(name)s, line %(line)s") % {"name": name, "line": line} if line else name
        super().__init__(f"{where}: {problem}")
        self.name, self.line, self.problem = name, line, problem


def source_label(prefix: str, name: str) -> str:
    """``prefix:name`` within the 64 characters a source may have; a longer
    name keeps its start and gains a short digest, so two long names that
    share a start stay two sources."""
    name = " ".join(name.split()) or "unknown"
    label = f"{prefix}:{name}"
    if len(label) <= SOURCE_MAX_LENGTH:
        return label
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{label[: SOURCE_MAX_LENGTH - 9]}~{digest}"


def parse_count(text: str, name: str, line: int | None) -> int:
    """A step count as files write it: "52", "52.0"; never negative."""
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ReaderError(name, line, _("%(value)s is not a step count") % {"value": repr(text[:40])}) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ReaderError(name, line, _("%(value)s is not a step count") % {"value": repr(text[:40])}) from None
        value = round(number)
    if value < 0:
        raise ReaderError(name, line, _("a negative step count (%(value)s)") % {"value": value})
    return value
