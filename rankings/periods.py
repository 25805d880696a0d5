"""Which days a board covers, what it is called, and how long its index lives.

A board is a period and a date: ``day`` is that local date, ``week`` the ISO
week (Monday first) holding it, ``month`` its calendar month, ``rolling7``
the seven days ending on it. Each user's days are their own local calendar
days (``DayTotal.day``), so a board sums the same dates for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from infrastructure.api.serializers import EARLIEST_DATE as SUPPORTED_EARLIEST
from steps.local_days import month_bounds, rolling7_bounds, week_bounds


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ROLLING7 = "rolling7"


# How long a board's index outlives the board's last day. Older boards are
# answered from SQL only (they change rarely and are read rarely).
RETENTION = {
    Period.DAY: timedelta(days=40),
    Period.ROLLING7: timedelta(days=40),
    Period.WEEK: timedelta(days=70),
    Period.MONTH: timedelta(days=400),
}
# Local days end up to 14 hours after the UTC day does (UTC-12 and friends);
# a day of margin keeps every zone's board alive until its own end.
_ZONE_MARGIN = timedelta(days=1)
EARLIEST_DATE = SUPPORTED_EARLIEST  # no board before the first day any endpoint accepts


@dataclass(frozen=True, order=True)
class BoardKey:
    period: Period
    start: date
    end: date

    @classmethod
    def of(cls, period: Period | str, day: date) -> BoardKey:
        period = Period(period)
        if period is Period.DAY:
            start, end = day, day
        elif period is Period.WEEK:
            start, end = week_bounds(day)
        elif period is Period.MONTH:
            start, end = month_bounds(day)
        else:
            start, end = rolling7_bounds(day)
        return cls(period, start, end)

    @classmethod
    def from_label(cls, period: Period | str, label: str) -> BoardKey:
        """The board a ``label`` names (the inverse of ``label``); ValueError if it names none."""
        period = Period(period)
        if period is Period.WEEK:
            year, _, week = label.partition("-W")
            return cls.of(period, date.fromisocalendar(int(year), int(week), 1))
        if period is Period.MONTH:
            year, _, month = label.partition("-")
            return cls.of(period, date(int(year), int(month), 1))
        return cls.of(period, date.fromisoformat(label))

    @classmethod
    def touched_by(cls, day: date) -> list[BoardKey]:
        """Every board whose total changes when ``day``'s count does."""
        keys = [cls.of(Period.DAY, day), cls.of(Period.WEEK, day), cls.of(Period.MONTH, day)]
        keys += [cls.of(Period.ROLLING7, day + timedelta(days=n)) for n in range(7)]
        return keys

    @property
    def label(self) -> str:
        """The board's public name: 2026-11-25, 2026-W48, 2026-11, or the rolling7 end date."""
        if self.period is Period.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.period is Period.MONTH:
            return self.start.strftime("%Y-%m")
        return self.end.isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def expires_at(self) -> datetime:
        """When the index of this board is dropped (Redis EXPIREAT)."""
        after_end = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)
        return after_end + _ZONE_MARGIN + RETENTION[self.period]

    def is_indexed(self, now: datetime) -> bool:
        """Boards whose index would already have expired are served from SQL."""
        return self.expires_at() > now
