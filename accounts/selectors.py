"""Reads about people: friends, requests, and who may see whom.

The visibility rules, the same for the API, the boards and the live sockets:
private is only yourself; friends is yourself and accepted friends; public is
everyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser
from django.db import connections, router

from .models import DaySettings, Friendship, FriendshipStatus, User, Visibility


@dataclass(frozen=True)
class FriendLink:
    """Someone at the other end of a friendship or request, and since when."""

    user: User
    since: datetime


def friend_ids(user: User) -> set[int]:
    """The primary keys of ``user``'s accepted friends (never ``user``)."""
    accepted = Friendship.objects.filter(status=FriendshipStatus.ACCEPTED)
    # Two indexed lookups instead of one OR that neither index serves.
    sent = accepted.filter(from_user=user).values_list("to_user_id", flat=True)
    received = accepted.filter(to_user=user).values_list("from_user_id", flat=True)
    return set(sent) | set(received)


def friend_visibilities(user: User) -> dict[int, str]:
    """``user``'s accepted friends, each with their leaderboard visibility.

    Every leaderboard read asks this, so it is one plain query: compiling the
    ORM's version of this UNION cost more than running it.
    """
    friendships, users = Friendship._meta.db_table, User._meta.db_table
    sql = (
        f"SELECT f.to_user_id, u.visibility FROM {friendships} f JOIN {users} u ON u.id = f.to_user_id"  # noqa: S608
        " WHERE f.from_user_id = %s AND f.status = %s"
        f" UNION ALL SELECT f.from_user_id, u.visibility FROM {friendships} f JOIN {users} u ON u.id = f.from_user_id"
        " WHERE f.to_user_id = %s AND f.status = %s"
    )
    accepted = FriendshipStatus.ACCEPTED.value
    with connections[router.db_for_read(User)].cursor() as cursor:
        cursor.execute(sql, [user.pk, accepted, user.pk, accepted])
        return dict(cursor.fetchall())


def is_friend(a: User, b: User) -> bool:
    return Friendship.objects.filter(
        from_user__in=[a.pk, b.pk], to_user__in=[a.pk, b.pk], status=FriendshipStatus.ACCEPTED
    ).exists()


def can_see(viewer: User | AnonymousUser | None, owner: User) -> bool:
    """Whether ``viewer`` may see ``owner`` on boards and feeds.

    private: only the owner; friends: the owner and accepted friends;
    public: everyone, signed in or not.
    """
    if owner.visibility == Visibility.PUBLIC:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    if viewer.pk == owner.pk:
        return True
    return owner.visibility == Visibility.FRIENDS and is_friend(viewer, owner)


def friends_of(user: User) -> list[FriendLink]:
    accepted = Friendship.objects.filter(status=FriendshipStatus.ACCEPTED)
    links = [
        FriendLink(user=row.to_user, since=row.accepted_at or row.created_at)
        for row in accepted.filter(from_user=user).select_related("to_user")
    ] + [
        FriendLink(user=row.from_user, since=row.accepted_at or row.created_at)
        for row in accepted.filter(to_user=user).select_related("from_user")
    ]
    return sorted(links, key=lambda link: (link.user.display_name.lower(), link.user.pk))


def incoming_requests(user: User) -> list[FriendLink]:
    rows = Friendship.objects.filter(to_user=user, status=FriendshipStatus.PENDING).select_related("from_user")
    return [FriendLink(user=row.from_user, since=row.created_at) for row in rows.order_by("-created_at", "-pk")]


def outgoing_requests(user: User) -> list[FriendLink]:
    rows = Friendship.objects.filter(from_user=user, status=FriendshipStatus.PENDING).select_related("to_user")
    return [FriendLink(user=row.to_user, since=row.created_at) for row in rows.order_by("-created_at", "-pk")]


def users_visible_to(*, viewer: User, public_ids: Iterable[str | uuid.UUID]) -> tuple[list[User], list[str]]:
    """Splits public ids into the users ``viewer`` may see (in the order asked)
    and the ids refused.

    Unknown, malformed and invisible ids are refused alike, so a refusal does
    not tell whether an account exists. At most three queries, whatever the count.
    """
    parsed: dict[str, uuid.UUID | None] = {}
    for raw in public_ids:
        try:
            parsed[str(raw)] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)
        except ValueError:
            parsed[str(raw)] = None
    wanted = [public_id for public_id in parsed.values() if public_id is not None]
    found = {user.uuid: user for user in User.objects.filter(uuid__in=wanted, is_active=True)} if wanted else {}
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
        if not allowed or user is None:
            refused.append(raw)
        elif user not in visible:  # the same id spelt twice (case)
            visible.append(user)
    return visible, refused


@dataclass(frozen=True)
class DaySettingsOf:
    """A user's goal and zone for any day: what held on that day."""

    current_goal: int
    current_zone: str
    history: list[tuple[date, int, str]]  # (starts_on, goal, zone), oldest first; empty if never changed

    def goal_on(self, day: date) -> int:
        return self._on(day)[0]

    def zone_on(self, day: date) -> str:
        return self._on(day)[1]

    def _on(self, day: date) -> tuple[int, str]:
        held = (self.current_goal, self.current_zone)
        for starts_on, goal, zone in self.history:
            if starts_on > day:
                break
            held = (goal, zone)
        return held

    def min_goal(self) -> int:
        return min([self.current_goal, *(goal for _, goal, _ in self.history)])


def day_settings(user: User) -> DaySettingsOf:
    """One query, none for a user who never changed goal or zone (most of
    them, and every sync of theirs)."""
    history = (
        list(
            DaySettings.objects.filter(user=user)
            .order_by("starts_on")
            .values_list("starts_on", "daily_goal", "timezone")
        )
        if user.day_settings_changed
        else []
    )
    return DaySettingsOf(current_goal=user.daily_goal, current_zone=user.timezone, history=history)
