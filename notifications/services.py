"""The push outbox. (Filled in by the notifications work.)"""

from __future__ import annotations

from datetime import date, datetime

from accounts.models import User


def queue_goal_notification(*, user: User, day: date, steps: int, now: datetime) -> None:
    """Called inside ``record_steps``' transaction when a day's total reaches the goal."""
