"""What a change of steps is, and who hears of it.

``record_steps`` and the services beside it take samples (``DaySample``,
``HourSample``) and, for every day whose total moved, publish one
``DayChanges`` on ``day_changes``. Apps that react to a day's total (the
board index, the goal push, the live broadcast, challenges to come) register
a handler in their ``AppConfig.ready()``::

    day_changes.register("challenges.progress", on_day_changes, phase=Phase.AFTER_COMMIT)

``steps`` never imports them. A handler may choose by ``origin``: an import
wants no live broadcast per day; a deletion wants no goal push.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from accounts.models import User
from infrastructure.fanout import Fanout


@dataclass(frozen=True)
class DaySample:
    day: date
    steps: int
    distance_m: int | None = None
    floors: int | None = None


@dataclass(frozen=True)
class HourSample:
    start: datetime  # aware
    steps: int


@dataclass(frozen=True)
class DayChange:
    """One day a sync touched: the user's total before and after it."""

    day: date
    old_total: int
    new_total: int
    goal: int
    reached_at: datetime

    @property
    def changed(self) -> bool:
        return self.new_total != self.old_total

    @property
    def goal_reached(self) -> bool:
        return self.new_total >= self.goal


class Origin(StrEnum):
    """Where a change came from."""

    SYNC = "sync"  # POST steps/sync (and demo data)
    SOCKET = "socket"  # a frame on /ws/steps/
    IMPORT = "import"  # history brought from another app
    CORRECTION = "correction"  # staff set a count
    DELETION = "deletion"  # the account went: every total is now 0


@dataclass(frozen=True)
class DayChanges:
    """The days of one user whose totals changed in one transaction."""

    user: User
    changes: tuple[DayChange, ...]
    origin: Origin
    now: datetime
    # Kept apart from ``user``: a deleted user's pk is None by the time the
    # after-commit handlers run.
    user_pk: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_pk", self.user.pk)


day_changes: Fanout[DayChanges] = Fanout("steps.day_changes")
