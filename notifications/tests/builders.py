"""Small builders for the outbox tests: a user with devices, an owed push."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from accounts.devices_services import device_register
from accounts.models import Device, User
from notifications.models import Kind, Notification
from notifications.services import queue_goal_notification
from pedometer_site.tests.testing import make_user

_tokens = itertools.count(1)


def add_device(user: User, *, now: datetime, locale: str = "en-US", token: str | None = None) -> Device:
    device, _ = device_register(
        user=user, token=token or f"fcm-token-{next(_tokens)}", platform="android", locale=locale, now=now
    )
    return device


def owed_push(*, now: datetime, steps: int = 10_500, user: User | None = None, **user_fields) -> Notification:
    """A user who just reached their goal (10,000 unless told) today, and the row that owes them a push."""
    user = user or make_user(**user_fields)
    today = now.astimezone(user.zone).date()
    queue_goal_notification(user=user, day=today, steps=steps, now=now)
    return Notification.objects.get(user=user, day=today, kind=Kind.GOAL_REACHED)


def local_day(user: User, now: datetime) -> date:
    return now.astimezone(user.zone).date()
