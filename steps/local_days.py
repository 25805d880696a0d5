"""Day boundaries, in one place. A user's day is their local calendar day in
their IANA time zone; weeks are ISO weeks (Monday first)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from accounts.models import User


def local_today(user: User, now: datetime) -> date:
    return now.astimezone(ZoneInfo(user.timezone)).date()


def local_day_of(user: User, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(user.timezone)).date()


def local_day_bounds(where: User | ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and the next day starts on the
    wall clock of a user (or a zone): 23 or 25 hours apart on daylight-saving days."""
    zone = where if isinstance(where, ZoneInfo) else ZoneInfo(where.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def is_hour_start(instant: datetime) -> bool:
    """True when an aware ``instant`` falls exactly on the hour at its own UTC
    offset: phones record the offset they were at, and half-hour and
    45-minute zones (Asia/Kolkata, Asia/Kathmandu) have hours of their own."""
    return instant.minute == 0 and instant.second == 0 and instant.microsecond == 0


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def rolling7_bounds(day: date) -> tuple[date, date]:
    return day - timedelta(days=6), day
