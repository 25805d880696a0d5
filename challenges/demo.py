"""Demo challenges for the embedded default (``manage.py seed_demo``): a group
with teams and a running challenge of each kind, and one final one. Built
through the services, as of the day each challenge started."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from accounts.models import User

from . import services
from .models import Challenge, Group, Kind

DEMO_GROUP = "Demo walkers"
TEAM_NAMES = ("Hares", "Tortoises", "Herons")


def _as_of(day) -> datetime:
    return datetime.combine(day, time(0, 30), tzinfo=UTC)


def seed_challenges(*, users: list[User], now: datetime) -> int:
    """Creates the demo challenges once; returns how many it created (0 on a second run)."""
    if Group.objects.filter(name=DEMO_GROUP).exists() or len(users) < 6:
        return 0
    owner, *members = users
    start = now.date() - timedelta(days=10)
    created_at = _as_of(start - timedelta(days=30))
    group = services.group_create(
        user=owner, name=DEMO_GROUP, description="Everyone in the demo.", visibility="public", now=created_at
    )
    for user in members:
        services.group_join(user=user, code=group.invite_code, now=created_at)

    def make(kind: str, name: str, first, last, entrants: list[User], **fields) -> Challenge:
        spec = services.ChallengeInput(name=name, kind=kind, starts_on=first, ends_on=last, group=group, **fields)
        challenge = services.challenge_create(user=owner, spec=spec, now=_as_of(first))
        for user in entrants:
            if user.pk != owner.pk:
                services.challenge_join(user=user, challenge=challenge, team=None, now=_as_of(first))
        return challenge

    end = now.date() + timedelta(days=10)
    everyone = [owner, *members]
    make(Kind.TOTAL, "December step-off", start, end, everyone)
    make(Kind.GOAL_DAYS, "Goal day club", start, end, everyone[:20])
    make(Kind.STREAK, "Streak week", start, end, everyone[:20], target=8_000)
    make(Kind.HEAD_TO_HEAD, f"{owner.display_name} vs {members[0].display_name}", start, end, [members[0]],
         opponent=members[0])  # fmt: skip
    make(Kind.GROUP_TARGET, "Walk to Busan together", start, end, everyone, target=7_500_000)
    teams = make(Kind.TEAM, "Workweek hustle", start, end, [], team_scoring="average", team_size_cap=20)
    for index, name in enumerate(TEAM_NAMES):
        team = services.team_create(user=owner, challenge=teams, name=name, now=_as_of(start))
        for user in everyone[index :: len(TEAM_NAMES)][:20]:
            services.challenge_join(user=user, challenge=teams, team=team, now=_as_of(start))
    final_start = now.date() - timedelta(days=28)
    final = make(Kind.TOTAL, "November sprint", final_start, final_start + timedelta(days=6), everyone)
    services.finalise(challenge=final, now=now, trigger="sweep")
    return 7
