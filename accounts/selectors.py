"""Who may see whose steps. The same rules for the API, the boards and the
live sockets: private is only yourself; friends is yourself and accepted
friends; public is everyone signed in."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q

from .models import Friendship, FriendshipStatus, User, Visibility


def are_friends(a: User, b: User) -> bool:
    return Friendship.objects.filter(
        Q(from_user=a, to_user=b) | Q(from_user=b, to_user=a), status=FriendshipStatus.ACCEPTED
    ).exists()


def can_see(viewer: User, owner: User) -> bool:
    if viewer.pk == owner.pk:
        return True
    if owner.visibility == Visibility.PUBLIC:
        return True
    if owner.visibility == Visibility.FRIENDS:
        return are_friends(viewer, owner)
    return False


def friend_ids(user: User) -> set[int]:
    """Primary keys of ``user``'s accepted friends, in either direction."""
    pairs = Friendship.objects.filter(
        Q(from_user=user) | Q(to_user=user), status=FriendshipStatus.ACCEPTED
    ).values_list("from_user_id", "to_user_id")
    return {other for pair in pairs for other in pair if other != user.pk}


def users_visible_to(*, viewer: User, public_ids: Iterable[str]) -> tuple[list[User], list[str]]:
    """Splits public ids into the users ``viewer`` may see and the ids refused.

    Unknown, malformed and invisible ids are refused alike, so a refusal does
    not tell whether an account exists. At most two queries, whatever the count.
    """
    parsed: dict[str, uuid.UUID | None] = {}
    for raw in public_ids:
        try:
            parsed[raw] = uuid.UUID(raw)
        except ValueError:
            parsed[raw] = None
    wanted = [public_id for public_id in parsed.values() if public_id is not None]
    found = {user.uuid: user for user in User.objects.filter(uuid__in=wanted, is_active=True)}
    friends = friend_ids(viewer) if any(u.visibility == Visibility.FRIENDS for u in found.values()) else set()
    visible: list[User] = []
    refused: list[str] = []
    for raw, public_id in parsed.items():
        user = found.get(public_id) if public_id is not None else None
        allowed = user is not None and (
            user.pk == viewer.pk
            or user.visibility == Visibility.PUBLIC
            or (user.visibility == Visibility.FRIENDS and user.pk in friends)
        )
        if not allowed:
            refused.append(raw)
        elif user not in visible:  # the same id spelt twice (case)
            visible.append(user)
    return visible, refused
