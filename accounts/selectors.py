"""Reads about people: who may see whom."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.db.models import Q

from .models import Friendship, FriendshipStatus, User, Visibility


def visible_users(*, viewer: User, candidate_ids: Collection[UUID]) -> list[User]:
    """The active users among ``candidate_ids`` (public uuids) whose steps
    ``viewer`` may see: themself, anyone ``public``, and accepted friends who
    chose ``friends``. Others (``private``, strangers, unknown ids) are left
    out without saying why, so a caller cannot probe who exists."""
    if not candidate_ids:
        return []
    candidates = list(User.objects.filter(uuid__in=list(candidate_ids), is_active=True))
    friends_only = [user.pk for user in candidates if user.visibility == Visibility.FRIENDS and user.pk != viewer.pk]
    friend_pks = _accepted_friend_pks(viewer, friends_only) if friends_only else set()
    return [
        user
        for user in candidates
        if user.pk == viewer.pk or user.visibility == Visibility.PUBLIC or user.pk in friend_pks
    ]


def _accepted_friend_pks(viewer: User, among: list[int]) -> set[int]:
    rows = Friendship.objects.filter(status=FriendshipStatus.ACCEPTED).filter(
        Q(from_user=viewer, to_user__in=among) | Q(to_user=viewer, from_user__in=among)
    )
    return {to_pk if from_pk == viewer.pk else from_pk for from_pk, to_pk in rows.values_list("from_user", "to_user")}
