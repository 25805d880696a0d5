"""Challenge pushes, through the outbox: exactly one per (user, challenge, kind, day).

- ``challenge_started``: the morning of day one (08:00) in the participant's zone;
- ``challenge_overtaken``: someone passed you on a running board (at most one a day per challenge);
- ``challenge_final``: the final result with your place, when the table freezes;
- ``streak_at_risk``, for everyone: the evening (19:00) of a day whose goal is
  not reached yet, when the current streak is at least 3 days.

The outbox's unique key (user, day, kind, subject) is what makes "once" hold
whatever the races; quiet hours hold a due push back (``notifications.quiet_hours``).
The sweep (``challenges.tasks.sweep``) queues the timed ones.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q

from accounts.models import User
from accounts.selectors import day_settings
from notifications.models import Kind as PushKind
from notifications.models import Notification
from notifications.services import Owed, queue_notification, queue_notifications
from steps.local_days import local_today
from steps.models import DayTotal

from . import scoring
from .models import Challenge, Kind, Participant, Result, Scope

logger = logging.getLogger(__name__)

START_PUSH_AT = time(8)
STREAK_PUSH_FROM = time(19)
STREAK_AT_RISK_AFTER = 3  # days in a row


def subject_of(challenge_id: int) -> str:
    return f"challenge:{challenge_id}"


def _not_pushed(kind: str, subject: str, day: date) -> Q:
    return ~Q(Exists(Notification.objects.filter(user_id=OuterRef("user_id"), kind=kind, subject=subject, day=day)))


def queue_challenge_starts(*, now: datetime) -> int:
    """Day one's morning push, for participants whose local clock has passed 08:00 on it."""
    queued = 0
    today = now.date()
    starting = Challenge.objects.filter(
        finalised_at__isnull=True, starts_on__range=(today - timedelta(days=1), today + timedelta(days=1))
    )
    for challenge in starting:
        subject = subject_of(challenge.pk)
        entrants = (
            Participant.objects.filter(challenge=challenge)
            .filter(_not_pushed(PushKind.CHALLENGE_STARTED, subject, challenge.starts_on))
            .select_related("user")
        )
        for entry in entrants:
            local = now.astimezone(entry.user.zone)
            if local.date() == challenge.starts_on and local.time() >= START_PUSH_AT:
                queued += queue_notification(
                    user=entry.user,
                    kind=PushKind.CHALLENGE_STARTED,
                    day=challenge.starts_on,
                    subject=subject,
                    data={"challenge": challenge.name, "challenge_id": challenge.pk},
                    now=now,
                )
    return queued


def _days_before(user: User, today: date) -> list[scoring.Day]:
    rows = DayTotal.objects.filter(user=user, day__range=(today - timedelta(days=366), today)).values_list(
        "day", "steps", "reached_at"
    )
    return [scoring.Day(day=day, steps=steps, reached_at=reached) for day, steps, reached in rows]


def current_streak(user: User, today: date) -> int:
    """Goal days in a row ending yesterday (today is still open), each judged by the goal it had."""
    return scoring.current_streak(_days_before(user, today), target=day_settings(user).goal_on, today=today)


def queue_streaks_at_risk(*, now: datetime) -> int:
    """For every zone where it is evening now: users with a streak of 3+ whose goal today is not reached yet.

    Most users never changed their goal: one query finds theirs. Those who did
    are judged day by day by the goal each day had (a goal raised today does
    not undo the streak before it, and a goal lowered today does not make one).
    """
    queued = 0
    for zone_name in User.objects.filter(is_active=True).values_list("timezone", flat=True).distinct():
        probe = User(timezone=zone_name)
        local = now.astimezone(probe.zone)
        if local.time() < STREAK_PUSH_FROM:
            continue
        today = local.date()
        recent = Q(day_totals__day__range=(today - timedelta(days=STREAK_AT_RISK_AFTER), today - timedelta(days=1)))
        met = Q(day_totals__steps__gte=F("daily_goal"))
        reached_today = DayTotal.objects.filter(user_id=OuterRef("pk"), day=today, steps__gte=OuterRef("daily_goal"))
        pushed = Notification.objects.filter(user_id=OuterRef("pk"), kind=PushKind.STREAK_AT_RISK, day=today)
        in_zone = User.objects.filter(is_active=True, timezone=zone_name).exclude(Exists(pushed))
        steady = (
            in_zone.filter(day_settings_changed=False)
            .annotate(recent_goal_days=Count("day_totals", filter=recent & met))
            .filter(recent_goal_days=STREAK_AT_RISK_AFTER)
            .exclude(Exists(reached_today))
        )
        for user in [*steady, *in_zone.filter(day_settings_changed=True)]:
            days = _days_before(user, today)
            goal_today = day_settings(user).goal_on(today)
            streak = scoring.current_streak(days, target=day_settings(user).goal_on, today=today)
            steps_today = next((d.steps for d in days if d.day == today), 0)
            if streak < STREAK_AT_RISK_AFTER or steps_today >= goal_today:
                continue
            queued += queue_notification(
                user=user,
                kind=PushKind.STREAK_AT_RISK,
                day=today,
                data={"streak": streak, "left": goal_today - steps_today},
                now=now,
            )
    return queued


def queue_due_pushes(*, now: datetime) -> int:
    return queue_challenge_starts(now=now) + queue_streaks_at_risk(now=now)


def queue_overtaken_many(*, passer: User, owed: list[tuple[Challenge, list[int]]], now: datetime) -> int:
    """``passer`` just went past these user pks on these running boards: each one
    told at most once a day per challenge, in two queries for all the boards."""
    pks = {pk for _, rivals in owed for pk in rivals if pk != passer.pk}
    people = {user.pk: user for user in User.objects.filter(pk__in=pks, is_active=True)}
    subjects = {subject_of(challenge.pk): challenge for challenge, _ in owed}
    days = {pk: local_today(user, now) for pk, user in people.items()}
    told = set(
        Notification.objects.filter(
            user_id__in=list(people), kind=PushKind.CHALLENGE_OVERTAKEN, subject__in=list(subjects),
            day__in=set(days.values()),
        ).values_list("user_id", "subject", "day")
    )  # fmt: skip
    queued = 0
    for challenge, rivals in owed:
        subject = subject_of(challenge.pk)
        for pk in rivals:
            if pk not in people or (pk, subject, days[pk]) in told:
                continue
            queued += queue_notification(
                user=people[pk],
                kind=PushKind.CHALLENGE_OVERTAKEN,
                day=days[pk],
                subject=subject,
                data={"challenge": challenge.name, "challenge_id": challenge.pk, "rival": passer.display_name},
                now=now,
            )
    return queued


def queue_overtaken(*, challenge: Challenge, passer: User, rivals: list[User], now: datetime) -> int:
    """``passer`` just went past ``rivals`` on the running board of ``challenge``."""
    queued = 0
    subject = subject_of(challenge.pk)
    days = {rival.pk: local_today(rival, now) for rival in rivals}
    # One query for those already told today (most of them, once a board is busy), not one each.
    told = set(
        Notification.objects.filter(
            user_id__in=list(days), kind=PushKind.CHALLENGE_OVERTAKEN, subject=subject, day__in=set(days.values())
        ).values_list("user_id", "day")
    )
    for rival in rivals:
        if (rival.pk, days[rival.pk]) in told:
            continue
        queued += queue_notification(
            user=rival,
            kind=PushKind.CHALLENGE_OVERTAKEN,
            day=local_today(rival, now),
            subject=subject_of(challenge.pk),
            data={"challenge": challenge.name, "challenge_id": challenge.pk, "rival": passer.display_name},
            now=now,
        )
    return queued


def queue_final_results(*, challenge_id: int, now: datetime) -> int:
    """Each participant's place, once the table froze."""
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return 0
    rows = list(
        Result.objects.filter(challenge=challenge, scope=Scope.PEOPLE, user__isnull=False).select_related("user")
    )
    owed = []
    for row in rows:
        if row.user is None:  # select_related above keeps only rows with a user; mypy cannot know
            continue
        data: dict = {"challenge": challenge.name, "challenge_id": challenge.pk}
        if challenge.kind == Kind.GROUP_TARGET:
            data.update(total=int(challenge.summary.get("total", 0)), target=int(challenge.summary.get("target", 0)))
        else:
            data.update(place=row.rank, count=len(rows))
        owed.append(Owed(user=row.user, day=local_today(row.user, now), data=data))
    return queue_notifications(owed=owed, kind=PushKind.CHALLENGE_FINAL, subject=subject_of(challenge.pk), now=now)
