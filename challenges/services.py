"""Writes: groups and their members, challenges, teams, entries, and the freeze.

Each service is one transaction, keyword-only, with ``now`` passed in. A
broken rule raises a ``DomainError`` (the API's error shape) before anything
is stored.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from infrastructure.api.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from steps.local_days import local_today

from . import board_services, selectors
from .models import (
    MAX_DAILY_CAP,
    MAX_PERIOD_DAYS,
    MIN_DAILY_CAP,
    Challenge,
    Finalisation,
    Group,
    GroupVisibility,
    Kind,
    Membership,
    Participant,
    Result,
    Role,
    Scope,
    State,
    Team,
    TeamScoring,
)

logger = logging.getLogger(__name__)

# No 0/O or 1/I/L: read aloud and typed from a screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFinalError(ConflictError):
    code = "not_final"


# --- Groups ----------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


def group_create(*, user: User, name: str, description: str = "", visibility: str, now: datetime) -> Group:
    with transaction.atomic():
        group = Group.objects.create(
            name=name, description=description, visibility=visibility, invite_code=_new_code(),
            created_by=user, created_at=now,
        )  # fmt: skip
        Membership.objects.create(group=group, user=user, role=Role.OWNER, joined_at=now)
    return group


def group_join(*, user: User, code: str, now: datetime) -> Group:
    group = Group.objects.filter(invite_code=code.strip().upper()).first()
    if group is None:
        raise NotFoundError(_("No group has this invite code."), fields={"code": [_("Unknown or rotated code.")]})
    try:
        with transaction.atomic():
            Membership.objects.create(group=group, user=user, role=Role.MEMBER, joined_at=now)
    except IntegrityError:
        raise ConflictError(_("You are already a member of this group.")) from None
    return group


def group_rotate_code(*, user: User, group: Group) -> Group:
    membership = selectors.membership_of(group=group, user=user)
    if membership is None or membership.role != Role.OWNER:
        raise PermissionDeniedError(_("Only the group's owner can rotate its invite code."))
    group.invite_code = _new_code()
    group.save(update_fields=["invite_code"])
    return group


def group_remove_member(*, user: User, group: Group, member: User) -> None:
    """Owners and admins remove members; anyone may leave; the owner stays."""
    mine = selectors.membership_of(group=group, user=user)
    theirs = selectors.membership_of(group=group, user=member)
    if theirs is None:
        raise NotFoundError(_("Not a member of this group."))
    if theirs.role == Role.OWNER:
        raise ConflictError(_("The owner cannot be removed from their group."))
    if member.pk != user.pk:
        if not selectors.can_manage(mine):
            raise PermissionDeniedError(_("Only the group's owner and admins can remove members."))
        if mine is not None and mine.role == Role.ADMIN and theirs.role == Role.ADMIN:
            raise PermissionDeniedError(_("Only the owner can remove an admin."))
    theirs.delete()


def group_set_role(*, user: User, group: Group, member: User, role: str) -> Membership:
    mine = selectors.membership_of(group=group, user=user)
    if mine is None or mine.role != Role.OWNER:
        raise PermissionDeniedError(_("Only the group's owner can change roles."))
    theirs = selectors.membership_of(group=group, user=member)
    if theirs is None:
        raise NotFoundError(_("Not a member of this group."))
    if theirs.role == Role.OWNER or role == Role.OWNER:
        raise ConflictError(_("A group has one owner."))
    theirs.role = role
    theirs.save(update_fields=["role"])
    return theirs


# --- Challenges -----------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeInput:
    name: str
    kind: str
    starts_on: date
    ends_on: date
    group: Group | None = None
    daily_cap: int | None = None
    target: int | None = None
    team_scoring: str | None = None
    team_size_cap: int | None = None
    opponent: User | None = None
    grace_hours: int | None = None


def _check(spec: ChallengeInput, *, user: User, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = local_today(user, now)
    if spec.ends_on < spec.starts_on:
        errors["ends_on"] = [_("Must not be before starts_on.")]
    elif (spec.ends_on - spec.starts_on).days + 1 > MAX_PERIOD_DAYS:
        errors["ends_on"] = [_("A challenge lasts at most %(days)d days.") % {"days": MAX_PERIOD_DAYS}]
    if spec.starts_on < today:
        errors["starts_on"] = [_("Must be today (%(today)s) or later.") % {"today": today.isoformat()}]
    if spec.daily_cap is not None and not MIN_DAILY_CAP <= spec.daily_cap <= MAX_DAILY_CAP:
        errors["daily_cap"] = [
            _("Must be between %(first)s and %(last)s.") % {"first": f"{MIN_DAILY_CAP:,}", "last": f"{MAX_DAILY_CAP:,}"}
        ]
    if spec.kind == Kind.GROUP_TARGET and not spec.target:
        errors["target"] = [_("A group target needs the number of steps to reach together.")]
    if spec.target is not None and spec.kind not in (Kind.GOAL_DAYS, Kind.STREAK, Kind.GROUP_TARGET):
        errors["target"] = [_("Only goal_days, streak and group_target challenges have a target.")]
    if spec.kind in (Kind.GOAL_DAYS, Kind.STREAK) and spec.target is not None and not 100 <= spec.target <= 100_000:
        errors["target"] = [_("Must be between 100 and 100,000 steps a day.")]
    if spec.team_scoring is not None and spec.kind != Kind.TEAM:
        errors["team_scoring"] = [_("Only team challenges are scored by team.")]
    if spec.team_size_cap is not None and spec.kind != Kind.TEAM:
        errors["team_size_cap"] = [_("Only team challenges have teams.")]
    if spec.opponent is not None and spec.kind != Kind.HEAD_TO_HEAD:
        errors["opponent"] = [_("Only head_to_head challenges have an opponent.")]
    if spec.opponent is not None and spec.opponent.pk == user.pk:
        errors["opponent"] = [_("Pick someone else.")]
    return errors


def challenge_create(*, user: User, spec: ChallengeInput, now: datetime) -> Challenge:
    """Stores a challenge; its creator joins it (a head-to-head is theirs and the opponent's)."""
    if spec.group is not None:
        membership = selectors.membership_of(group=spec.group, user=user)
        if membership is None:
            if spec.group.visibility != GroupVisibility.PUBLIC:
                raise NotFoundError(_("No such group."), fields={"group": [_("No such group.")]})
            raise PermissionDeniedError(_("Only the group's members can start its challenges."))
        if not selectors.can_manage(membership):
            raise PermissionDeniedError(_("Only the group's owner and admins can start its challenges."))
    errors = _check(spec, user=user, now=now)
    if errors:
        raise InvalidInputError(_("Nothing was stored: the challenge is invalid."), fields=errors)
    with transaction.atomic():
        challenge = Challenge.objects.create(
            name=spec.name,
            kind=spec.kind,
            starts_on=spec.starts_on,
            ends_on=spec.ends_on,
            group=spec.group,
            created_by=user,
            daily_cap=spec.daily_cap or Challenge._meta.get_field("daily_cap").default,
            target=spec.target,
            team_scoring=spec.team_scoring or TeamScoring.TOTAL,
            team_size_cap=spec.team_size_cap,
            opponent=spec.opponent,
            grace_hours=settings.CHALLENGE_GRACE_HOURS if spec.grace_hours is None else spec.grace_hours,
            created_at=now,
        )
        if challenge.kind != Kind.TEAM:  # in a team challenge one joins with a team
            Participant.objects.create(challenge=challenge, user=user, joined_at=now)
    return challenge


def _index_later(action, **kwargs) -> None:
    """The board index follows an entry once it is committed (never a rolled-back one)."""
    transaction.on_commit(lambda: action(**kwargs), robust=True)


# Whole sentences per action, so each language can order its own words.
_CLOSED_FOR = {
    "join": (
        gettext_lazy("This challenge is final: nobody can join it any more."),
        gettext_lazy("This challenge has ended: nobody can join it any more."),
    ),
    "leave": (
        gettext_lazy("This challenge is final: nobody can leave it any more."),
        gettext_lazy("This challenge has ended: nobody can leave it any more."),
    ),
    "add a team to": (
        gettext_lazy("This challenge is final: nobody can add a team to it any more."),
        gettext_lazy("This challenge has ended: nobody can add a team to it any more."),
    ),
}


def _open_for_entries(challenge: Challenge, now: datetime, action: str) -> None:
    state = challenge.state_at(now)
    if state in (State.FINAL, State.GRACE):
        final, ended = _CLOSED_FOR[action]
        raise ConflictError(str(final if state == State.FINAL else ended))


def challenge_join(*, user: User, challenge: Challenge, team: Team | None, now: datetime) -> Participant:
    _open_for_entries(challenge, now, "join")
    if challenge.group is not None and selectors.membership_of(group=challenge.group, user=user) is None:
        raise PermissionDeniedError(_("Join the group first: this challenge is for its members."))
    if challenge.kind == Kind.TEAM and team is None:
        raise InvalidInputError(_("Pick a team to join with."), fields={"team": [_("This field is required.")]})
    if challenge.kind != Kind.TEAM and team is not None:
        raise InvalidInputError(_("This challenge has no teams."), fields={"team": [_("This challenge has no teams.")]})
    if team is not None and team.challenge_id != challenge.pk:
        raise NotFoundError(
            _("No such team in this challenge."), fields={"team": [_("No such team in this challenge.")]}
        )
    with transaction.atomic():
        # The challenge's row lock serialises joins: the head-to-head and team caps hold under races.
        Challenge.objects.select_for_update().filter(pk=challenge.pk).values_list("pk").get()
        if Participant.objects.filter(challenge=challenge, user=user).exists():
            raise ConflictError(_("You have already joined this challenge."))
        if challenge.kind == Kind.HEAD_TO_HEAD:
            _check_duel_seat(challenge, user)
        cap = challenge.team_size_cap
        if team is not None and cap is not None and Participant.objects.filter(team=team).count() >= cap:
            raise ConflictError(
                _("Team %(team)s is full (%(cap)d members).") % {"team": team.name, "cap": challenge.team_size_cap}
            )
        entry = Participant.objects.create(challenge=challenge, user=user, team=team, joined_at=now)
        _index_later(board_services.entry_changed, challenge=challenge, user=user)
        return entry


def _check_duel_seat(challenge: Challenge, user: User) -> None:
    seats = {challenge.created_by_id, challenge.opponent_id} - {None}
    taken = set(Participant.objects.filter(challenge=challenge).values_list("user_id", flat=True))
    if challenge.opponent_id is not None and user.pk not in seats:
        raise ConflictError(_("This head-to-head is between two other people."))
    if len(taken) >= 2:
        raise ConflictError(_("A head-to-head has two people, and both are in."))


def challenge_leave(*, user: User, challenge: Challenge, now: datetime) -> None:
    _open_for_entries(challenge, now, "leave")
    with transaction.atomic():
        entry = Participant.objects.filter(challenge=challenge, user=user).first()
        if entry is None:
            raise ConflictError(_("You are not in this challenge."))
        entry.delete()
        _index_later(board_services.entry_left, challenge=challenge, user_pk=user.pk, team_id=entry.team_id)


def team_create(*, user: User, challenge: Challenge, name: str, now: datetime) -> Team:
    if challenge.kind != Kind.TEAM:
        raise ConflictError(_("Only team challenges have teams."))
    _open_for_entries(challenge, now, "add a team to")
    if challenge.group is not None and selectors.membership_of(group=challenge.group, user=user) is None:
        raise PermissionDeniedError(_("Join the group first: this challenge is for its members."))
    try:
        with transaction.atomic():
            team = Team.objects.create(challenge=challenge, name=name, created_by=user, created_at=now)
            _index_later(board_services.team_added, team=team)
            return team
    except IntegrityError:
        raise ConflictError(_("There is already a team called %(team)s.") % {"team": name}) from None


# --- Provisional, then final ------------------------------------------------------


def finalise(
    *, challenge: Challenge, now: datetime, trigger: str, by: User | None = None, reason: str = "", force: bool = False
) -> bool:
    """Freezes the table into ``Result`` rows; True when this call did it.

    Without ``force`` only a challenge past its grace window and not yet
    final is frozen, once, whoever asks first (the row lock decides). With
    ``force`` (staff re-finalise) the table is computed again; former
    participants' frozen rows are carried over as they were.
    """
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if not force and (locked.finalised_at is not None or now < locked.grace_ends_at):
            return False
        carried = list(Result.objects.filter(challenge=locked, scope=Scope.PEOPLE, user__isnull=True))
        live = selectors.live_standings(locked)
        Result.objects.filter(challenge=locked).delete()
        rows = _result_rows(locked, live, carried)
        Result.objects.bulk_create(rows)
        locked.finalised_at = now
        locked.summary = live.summary
        locked.save(update_fields=["finalised_at", "summary"])
        Finalisation.objects.create(challenge=locked, by=by, trigger=trigger, reason=reason, rows=len(rows), at=now)
    challenge.finalised_at, challenge.summary = locked.finalised_at, locked.summary
    logger.info("challenge %s finalised (%s): %d rows", challenge.pk, trigger, len(rows))
    _index_later(board_services.forget, challenge_id=challenge.pk)
    if trigger != "staff":  # a re-finalise corrects the table; it does not announce it again
        transaction.on_commit(lambda: _after_finalised(challenge.pk, now))
    return True


def _after_finalised(challenge_id: int, now: datetime) -> None:
    from . import pushes

    try:
        pushes.queue_final_results(challenge_id=challenge_id, now=now)
    except Exception:  # the freeze is committed: a push problem must not undo it
        logger.exception("final-result pushes of challenge %s failed", challenge_id)


def _result_rows(challenge: Challenge, live: selectors.Standings, carried: list[Result]) -> list[Result]:
    from . import scoring

    # Former participants keep their frozen rows; negative keys keep them apart from user pks.
    rows: dict[int, selectors.Row | Result] = {row.pk or 0: row for row in live.people}
    rows.update({-(n + 1): old for n, old in enumerate(carried)})
    scores = [scoring.Score(key=key, value=row.score, reached_at=row.reached_at) for key, row in rows.items()]
    results = []
    for ranked in scoring.rank(scores):
        key, row = ranked.score.key, rows[ranked.score.key]
        results.append(
            Result(
                challenge=challenge,
                scope=Scope.PEOPLE,
                position=ranked.position,
                rank=ranked.rank,
                score=row.score,
                reached_at=row.reached_at,
                user_id=key if key > 0 else None,
                team_id=row.team_id,
                name=row.name,
                team_name=row.team_name,
                detail=row.detail,
            )
        )
    for row in live.teams:
        results.append(
            Result(
                challenge=challenge,
                scope=Scope.TEAMS,
                position=row.position,
                rank=row.rank,
                score=row.score,
                reached_at=row.reached_at,
                team_id=row.team_id,
                name=row.name,
                detail=row.detail,
            )
        )
    return results


def finalise_if_due(*, challenge: Challenge, now: datetime) -> bool:
    """The embedded default's clock: the first read after the grace window freezes the table."""
    if challenge.finalised_at is None and now >= challenge.grace_ends_at:
        return finalise(challenge=challenge, now=now, trigger="read")
    return False


def finalise_due(*, now: datetime, limit: int = 100, trigger: str = "sweep") -> list[int]:
    """The periodic sweep (and, on the embedded default, a list read): freezes every
    challenge whose grace window is over."""
    # ends_on + 1 day + 12 h + grace: every challenge due has ends_on at most today - 1.
    candidates = Challenge.objects.filter(finalised_at__isnull=True, ends_on__lt=now.date()).order_by("ends_on", "id")
    done: list[int] = []
    for challenge in candidates[: limit * 4]:
        if len(done) >= limit:
            break
        if now >= challenge.grace_ends_at and finalise(challenge=challenge, now=now, trigger=trigger):
            done.append(challenge.pk)
    return done


def refinalise(*, staff: User, challenge: Challenge, reason: str, now: datetime) -> None:
    """Staff freeze the table again (after a correction, say); audited."""
    if not staff.is_staff:
        raise PermissionDeniedError(_("Only staff can re-finalise a challenge."))
    if challenge.state_at(now) != State.FINAL and now < challenge.grace_ends_at:
        raise ConflictError(_("The challenge is still open; it finalises by itself after its grace window."))
    reason = reason.strip() or "re-finalised by staff"
    finalise(challenge=challenge, now=now, trigger="staff", by=staff, reason=reason, force=True)
