"""The leaderboard index. (Filled in by the rankings work.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from accounts.models import User

if TYPE_CHECKING:
    from steps.services import DayChange


def index_day_totals(*, user: User, changes: Sequence[DayChange]) -> None:
    """Called after ``record_steps`` commits, with the days whose totals changed."""
