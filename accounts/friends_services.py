"""Friend requests and friendships: every change to a ``Friendship`` row.

One row per pair of people: a pending request from ``from_user`` to
``to_user``, or, once accepted, the friendship itself (either direction).
Each service locks both users' rows (in id order, so two people asking each
other at the same moment take turns instead of creating two rows).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from infrastructure.api.errors import ConflictError, DomainError, NotFoundError

from .events import FriendshipChanged, friendship_changed
from .models import Friendship, FriendshipStatus, User


class SelfFriendRequestError(DomainError):
    code = "self_request"


class AlreadyRequestedError(ConflictError):
    code = "already_requested"


class AlreadyFriendsError(ConflictError):
    code = "already_friends"


def _find_user(*, user_id: UUID | None = None, email: str | None = None) -> User:
    people = User.objects.filter(is_active=True)
    found = people.filter(uuid=user_id).first() if user_id else people.filter(email__iexact=email).first()
    if found is None:
        raise NotFoundError(_("No one with that id or email."))
    return found


def _lock_pair(a: User, b: User) -> None:
    list(User.objects.select_for_update().filter(pk__in=[a.pk, b.pk]).order_by("pk").values_list("pk", flat=True))


def _row_between(a: User, b: User) -> Friendship | None:
    return Friendship.objects.filter(Q(from_user=a, to_user=b) | Q(from_user=b, to_user=a)).first()


def friend_request_send(
    *, user: User, now: datetime, to_user_id: UUID | None = None, email: str | None = None
) -> Friendship:
    """Asks someone (by public id or email) to be friends. When they had
    already asked ``user``, this accepts their request instead: the result is
    a friendship either way the two people get there."""
    if (to_user_id is None) == (email is None):
        raise DomainError(_("Give either user_id or email."), fields={"non_field_errors": [_("Give one of the two.")]})
    other = _find_user(user_id=to_user_id, email=email)
    if other.pk == user.pk:
        raise SelfFriendRequestError(_("You cannot send a friend request to yourself."))
    with transaction.atomic():
        _lock_pair(user, other)
        row = _row_between(user, other)
        if row is None:
            return Friendship.objects.create(from_user=user, to_user=other, created_at=now)
        if row.status == FriendshipStatus.ACCEPTED:
            raise AlreadyFriendsError(_("You are already friends."))
        if row.from_user_id == user.pk:
            raise AlreadyRequestedError(_("You have already asked; waiting for an answer."))
        return _accept(row, now)


def _accept(row: Friendship, now: datetime) -> Friendship:
    row.status = FriendshipStatus.ACCEPTED
    row.accepted_at = now
    row.save(update_fields=["status", "accepted_at"])
    friendship_changed.publish(FriendshipChanged(users=(row.from_user, row.to_user), now_friends=True))
    return row


def _pending_from(requester_id: UUID, to_user: User) -> Friendship:
    row = (
        Friendship.objects.select_for_update()
        .filter(from_user__uuid=requester_id, to_user=to_user, status=FriendshipStatus.PENDING)
        .first()
    )
    if row is None:
        raise NotFoundError(_("No pending friend request from that person."))
    return row


def friend_request_accept(*, user: User, from_user_id: UUID, now: datetime) -> Friendship:
    with transaction.atomic():
        return _accept(_pending_from(from_user_id, user), now)


def friend_request_decline(*, user: User, from_user_id: UUID) -> None:
    """Declining removes the request; the other person may ask again later."""
    with transaction.atomic():
        _pending_from(from_user_id, user).delete()


def friend_request_cancel(*, user: User, to_user_id: UUID) -> None:
    deleted, _kinds = Friendship.objects.filter(
        from_user=user, to_user__uuid=to_user_id, status=FriendshipStatus.PENDING
    ).delete()
    if not deleted:
        raise NotFoundError(_("You have no pending friend request to that person."))


def friend_remove(*, user: User, friend_id: UUID) -> None:
    """Ends a friendship from either side; what each could see of the other
    only as a friend (live feeds included) stops at once."""
    with transaction.atomic():
        row = (
            Friendship.objects.select_related("from_user", "to_user")
            .filter(
                Q(from_user=user, to_user__uuid=friend_id) | Q(to_user=user, from_user__uuid=friend_id),
                status=FriendshipStatus.ACCEPTED,
            )
            .first()
        )
        if row is None:
            raise NotFoundError(_("That person is not your friend."))
        row.delete()
        friendship_changed.publish(FriendshipChanged(users=(row.from_user, row.to_user), now_friends=False))
