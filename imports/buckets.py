"""Samples -> hourly buckets and day totals per source: pure, no I/O.

A sample is filed on the local day of its own offset (where its source was
when it counted), in the local hour it falls in; one that spans hour
boundaries is split in proportion to the time in each hour, in whole steps
that add up to the sample (largest remainder, ties to the earlier hour).

Within one file a source's samples add up. Across files they do not: two
files holding the same source's hour (Google's raw and merged streams of
one phone; two exports of one watch a month apart) describe the same
steps, so the larger count wins, as it does in the database.

Memory grows with the hours covered, not with the file: a bucket is one
dict entry keyed by an int (UTC start and day packed together), so ten years
of one source is at most 87,600 entries, however many records made them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .readers.samples import DayCount, HourCount, Sample

HOUR = 3600
DAY = 86400


def hour_key(start: int, day: int) -> int:
    """(UTC start of the hour, epoch day it is filed on) as one int. The day is
    within one of the UTC day (offsets are at most 14 hours)."""
    return start * 4 + (day - start // DAY + 1)


def split_key(key: int) -> tuple[int, int]:
    start, shift = divmod(key, 4)
    return start, start // DAY + shift - 1


def split_in_hours(start: int, end: int, steps: int) -> list[tuple[int, int]]:
    """[(hour index, steps)] of a sample on its local clock (seconds), in
    proportion to the time in each hour; the parts add up to ``steps``."""
    first = start // HOUR
    if end <= start or (end - 1) // HOUR == first:
        return [(first, steps)]
    last = (end - 1) // HOUR
    duration = end - start
    parts, remainders = [], []
    given = 0
    for hour in range(first, last + 1):
        seconds = min(end, (hour + 1) * HOUR) - max(start, hour * HOUR)
        whole, remainder = divmod(steps * seconds, duration)
        parts.append([hour, whole])
        remainders.append((-remainder, hour - first))
        given += whole
    for _, index in sorted(remainders)[: steps - given]:
        parts[index][1] += 1
    return [(hour, count) for hour, count in parts if count]


@dataclass
class Buckets:
    """One source's hours (packed key -> steps) and day-only totals (epoch day -> steps)."""

    hours: dict[str, dict[int, int]] = field(default_factory=dict)
    days: dict[str, dict[int, int]] = field(default_factory=dict)
    distances: dict[str, dict[int, int]] = field(default_factory=dict)
    records: int = 0
    too_long: int = 0  # samples longer than MAX_SAMPLE_SECONDS, left out

    def add(self, item: Sample | HourCount | DayCount) -> None:
        self.records += 1
        if isinstance(item, Sample):
            self._add_sample(item)
        elif isinstance(item, HourCount):
            hours = self.hours.setdefault(item.source, {})
            key = hour_key(item.start, item.day)
            hours[key] = max(hours.get(key, 0), item.steps)  # replayed buckets: each is already whole
        else:
            days = self.days.setdefault(item.source, {})
            days[item.day] = max(days.get(item.day, 0), item.steps)
            if item.distance_m is not None:
                distances = self.distances.setdefault(item.source, {})
                distances[item.day] = max(distances.get(item.day, 0), item.distance_m)

    def _add_sample(self, sample: Sample) -> None:
        if not sample.steps:
            return
        if sample.end - sample.start > MAX_SAMPLE_SECONDS:
            self.too_long += 1
            return
        shift = sample.offset * 60
        hours = self.hours.get(sample.source)
        if hours is None:
            hours = self.hours[sample.source] = {}
        local_start = sample.start + shift
        if sample.end <= sample.start or (sample.end + shift - 1) // HOUR == local_start // HOUR:
            # The common case (a record within one hour), without building lists.
            hour = local_start // HOUR
            key = hour_key(hour * HOUR - shift, hour * HOUR // DAY)
            hours[key] = hours.get(key, 0) + sample.steps
            return
        for hour, steps in split_in_hours(local_start, sample.end + shift, sample.steps):
            key = hour_key(hour * HOUR - shift, hour * HOUR // DAY)
            hours[key] = hours.get(key, 0) + steps

    def merge_max(self, other: Buckets) -> None:
        """Adds another file's buckets: the larger count of each key wins."""
        self.records += other.records
        for mine, theirs in ((self.hours, other.hours), (self.days, other.days), (self.distances, other.distances)):
            for source, values in theirs.items():
                target = mine.setdefault(source, {})
                for key, steps in values.items():
                    if steps > target.get(key, 0):
                        target[key] = steps

    def __len__(self) -> int:
        return sum(map(len, self.hours.values())) + sum(map(len, self.days.values()))

    def clear(self) -> None:
        self.hours.clear()
        self.days.clear()
        self.distances.clear()


# A record longer than this is not a count of a walk (some apps write a whole
# day as one record, or a broken clock does): it is left out, and counted.
MAX_SAMPLE_SECONDS = 2 * DAY


@dataclass(frozen=True)
class SourceDay:
    """One source's day: its hours (UTC start -> steps) and its total."""

    hours: dict[int, int]
    total: int  # the hours' sum, or the day-only count if larger
    distance_m: int | None


def by_day(buckets: Buckets) -> dict[int, dict[str, SourceDay]]:
    """epoch day -> source -> SourceDay: what the write path takes, a day at a time."""
    out: dict[int, dict[str, dict[int, int]]] = {}
    for source, hours in buckets.hours.items():
        # An hour a source spent in two offsets (a flight) may fall on two days: the earlier one takes it.
        day_of: dict[int, int] = {}
        for key in hours:
            start, day = split_key(key)
            day_of[start] = min(day, day_of.get(start, day))
        for key, steps in hours.items():
            start, _ = split_key(key)
            day = day_of[start]
            day_hours = out.setdefault(day, {}).setdefault(source, {})
            day_hours[start] = day_hours.get(start, 0) + steps
    for source, days in buckets.days.items():
        for day in days:
            out.setdefault(day, {}).setdefault(source, {})
    result: dict[int, dict[str, SourceDay]] = {}
    for day, sources in out.items():
        result[day] = {}
        for source, hours in sources.items():
            day_only = buckets.days.get(source, {}).get(day, 0)
            distance = buckets.distances.get(source, {}).get(day)
            result[day][source] = SourceDay(hours, max(sum(hours.values()), day_only), distance)
    return result


def bucket(items: Iterable[Sample | HourCount | DayCount]) -> Buckets:
    """The pure function: samples of one file -> its buckets."""
    buckets = Buckets()
    for item in items:
        buckets.add(item)
    return buckets
