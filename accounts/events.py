"""Changes of an account that other apps react to, published so that
``accounts`` imports none of them (see ``infrastructure.fanout``).

Each app registers its handler in its ``AppConfig.ready()``::

    visibility_changed.register("rankings.reindex", on_visibility_changed, phase=Phase.AFTER_COMMIT)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from infrastructure.fanout import Fanout

from .models import User


@dataclass(frozen=True)
class VisibilityChanged:
    """Who may see ``user`` changed (public, friends, private)."""

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
class FriendshipChanged:
    """Two people became friends (``now_friends``) or stopped being friends."""

    users: tuple[User, User]
    now_friends: bool


visibility_changed: Fanout[VisibilityChanged] = Fanout("accounts.visibility_changed")
account_deleted: Fanout[AccountDeleted] = Fanout("accounts.account_deleted")
friendship_changed: Fanout[FriendshipChanged] = Fanout("accounts.friendship_changed")
