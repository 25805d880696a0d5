"""Builders for the challenges tests: walks through the one write path,
challenges started in the past (so their days can be synced now), boards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from challenges import selectors, services
from challenges.models import Challenge, Team
from steps.services import DaySample, record_steps

NOW = timezone.now().replace(microsecond=0)
TODAY = NOW.date()


def walk(user: User, steps: int, day: date, *, at: datetime | None = None, source: str = "phone") -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        record_steps(user=user, days=[DaySample(day, steps)], source=source, now=at or NOW, max_age_days=None)


def started(
    kind: str, *, creator: User, starts_on: date, ends_on: date, entrants: list[User] = (), **fields
) -> Challenge:
    """A challenge created the day it starts, with ``entrants`` joined then (the creator joins by itself)."""
    then = datetime.combine(starts_on, time(1), tzinfo=UTC)
    spec = services.ChallengeInput(name=f"{kind} challenge", kind=kind, starts_on=starts_on, ends_on=ends_on, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):  # what follows a commit (the board index) follows
        challenge = services.challenge_create(user=creator, spec=spec, now=then)
        for user in entrants:
            services.challenge_join(user=user, challenge=challenge, team=None, now=then)
    return challenge


def team(challenge: Challenge, name: str, *members: User) -> Team:
    then = datetime.combine(challenge.starts_on, time(1), tzinfo=UTC)
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = services.team_create(user=members[0], challenge=challenge, name=name, now=then)
        for member in members:
            services.challenge_join(user=member, challenge=challenge, team=created, now=then)
    return created


def table(challenge: Challenge) -> list[tuple[int, str, float]]:
    """(rank, name, score) of the people on the board now."""
    challenge.refresh_from_db()
    return [(row.rank, row.name, row.score) for row in selectors.standings(challenge).people]


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)
