"""Changes of an account that other apps react to, published so that
``accounts`` imports none of them (see ``infrastructure.fanout``).

Each app registers its handler in its ``AppConfig.ready()``::

    visibility_changed.register("rankings.reindex", on_visibility_changed, phase=Phase.AFTER_COMMIT)

Who may see whom follows these at once, not at the next sync: boards and live
feeds drop someone their watchers may no longer see (``revoked``), and the
sockets of an account that is deleted or deactivated close (4401).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from infrastructure.fanout import Fanout

from .models import User


@dataclass(frozen=True)
class VisibilityChanged:
    """Who may see ``user`` changed (public, friends, private); ``user.visibility``
    is the new one."""

    user: User
    before: str


@dataclass(frozen=True)
class AccountDeleted:
    """Published inside the deleting transaction, before any row goes: an
    in-transaction handler can still read what belonged to the account."""

    user: User
    now: datetime
    user_pk: int = field(init=False)  # ``user.pk`` is None once the row is deleted

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_pk", self.user.pk)


@dataclass(frozen=True)
class AccountDeactivated:
    """Staff turned the account off (``is_active``): its rows stay, but it signs
    in nowhere, leaves the boards and live feeds, and its sockets close."""

    user: User


@dataclass(frozen=True)
class FriendshipChanged:
    """Two people became friends (``now_friends``) or stopped being friends."""

    users: tuple[User, User]
    now_friends: bool


@dataclass(frozen=True)
class DaySettingsChanged:
    """``user``'s goal or zone changed from their current day on (``accounts.DaySettings``):
    whatever judges days by the goal they had (challenge boards) re-judges today."""

    user: User


visibility_changed: Fanout[VisibilityChanged] = Fanout("accounts.visibility_changed")
account_deleted: Fanout[AccountDeleted] = Fanout("accounts.account_deleted")
account_deactivated: Fanout[AccountDeactivated] = Fanout("accounts.account_deactivated")
friendship_changed: Fanout[FriendshipChanged] = Fanout("accounts.friendship_changed")
day_settings_changed: Fanout[DaySettingsChanged] = Fanout("accounts.day_settings_changed")
