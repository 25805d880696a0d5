"""Reads of step records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from accounts.models import User

from .local_days import local_today
from .models import DayTotal


def today_totals(*, users: Sequence[User], now: datetime) -> list[dict]:
    """Each user's total for their own local today (0 before the first sync),
    shaped like a live ``steps`` event. One query whatever the count."""
    today = {user.pk: local_today(user, now) for user in users}
    stored = {
        (user_id, day): steps
        for user_id, day, steps in DayTotal.objects.filter(
            user__in=[user.pk for user in users], day__in=set(today.values())
        ).values_list("user_id", "day", "steps")
    }
    return [
        {"user": str(user.uuid), "date": today[user.pk].isoformat(), "steps": stored.get((user.pk, today[user.pk]), 0)}
        for user in users
    ]
