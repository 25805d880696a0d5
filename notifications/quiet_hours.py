"""Quiet hours: a push due while the user's wall clock is inside them waits until they end.

Each user has a start and an end in local time (default 22:00-07:00; equal
times mean none). A window may wrap midnight, as the default does.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from accounts.models import User


def is_quiet(start: time, end: time, at: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def release_at(user: User, due: datetime) -> datetime:
    """When a push due at ``due`` may go: ``due`` itself, or the end of the quiet hours it falls in."""
    start, end = user.quiet_hours_start, user.quiet_hours_end
    local = due.astimezone(user.zone)
    if not is_quiet(start, end, local.time()):
        return due
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=user.zone).astimezone(UTC)
