"""The six ways a challenge is scored: pure functions of daily totals.

Input is each participant's daily totals on their own local days within the
period (``steps.DayTotal`` rows: caps, corrections and flags already applied
by the steps rules). Output is standings ranked the way every board here
ranks: higher score first; on equal scores whoever got there first (the
moment the score was complete); then the lower id. Ties share a rank
(1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class Day:
    day: date
    steps: int
    reached_at: datetime


@dataclass(frozen=True)
class Score:
    """One competitor's score and when it was reached (None: nothing yet)."""

    key: int  # a user pk or a team pk
    value: float
    reached_at: datetime | None
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Ranked:
    rank: int
    position: int
    score: Score


_NEVER = datetime.max.replace(tzinfo=UTC)


def _order(score: Score) -> tuple:
    return (-score.value, score.reached_at or _NEVER, score.key)


def rank(scores: Iterable[Score]) -> list[Ranked]:
    """Ordered standings; equal values share the rank of the first of them."""
    ordered = sorted(scores, key=_order)
    ranked: list[Ranked] = []
    for position, score in enumerate(ordered):
        shared = position and score.value == ordered[position - 1].value
        value_rank = ranked[-1].rank if shared else position + 1
        ranked.append(Ranked(rank=value_rank, position=position + 1, score=score))
    return ranked


def _latest(days: Iterable[Day]) -> datetime | None:
    return max((d.reached_at for d in days), default=None)


def total_score(key: int, days: Sequence[Day], *, daily_cap: int) -> Score:
    """Sum of the days, each capped at ``daily_cap``; complete when its last day was."""
    counted = [d for d in days if d.steps > 0]
    value = sum(min(d.steps, daily_cap) for d in counted)
    return Score(key=key, value=value, reached_at=_latest(counted) if value else None)


Target = int | Callable[[date], int]


def _met(days: Iterable[Day], target: Target) -> list[Day]:
    """The days at or over the target: one number, or each day's own (the goal it had)."""
    goal_on = target if callable(target) else (lambda _day: target)
    return [d for d in days if d.steps >= goal_on(d.day)]


def goal_days_score(key: int, days: Sequence[Day], *, target: Target) -> Score:
    """One point per day at or over ``target`` (the participant's own goal for that day by default)."""
    met = _met(days, target)
    return Score(key=key, value=len(met), reached_at=_latest(met))


def streak_score(key: int, days: Sequence[Day], *, target: Target) -> Score:
    """The longest run of consecutive days at or over ``target``; of equal runs
    the first counts (it was reached first), complete on the run's last day."""
    met = sorted(_met(days, target), key=lambda d: d.day)
    best: list[Day] = []
    run: list[Day] = []
    for d in met:
        run = [*run, d] if run and d.day == run[-1].day + timedelta(days=1) else [d]
        if len(run) > len(best):
            best = run
    detail = {"from": best[0].day.isoformat(), "to": best[-1].day.isoformat()} if best else {}
    return Score(key=key, value=len(best), reached_at=_latest(best), detail=detail)


def current_streak(days: Sequence[Day], *, target: Target, today: date) -> int:
    """Consecutive days at or over ``target`` ending yesterday (today is still open)."""
    met = {d.day for d in _met(days, target)}
    length, day = 0, today - timedelta(days=1)
    while day in met:
        length += 1
        day -= timedelta(days=1)
    return length


def team_scores(members: Mapping[int, Sequence[Score]], *, average: bool) -> list[Score]:
    """Teams from their members' total scores: the sum, or the average per member
    (members with no steps count in the average too). Complete when the last
    member's contribution was."""
    scores = []
    for team, people in members.items():
        total = int(sum(p.value for p in people))
        value = average_tenths(total, len(people)) / 10 if average and people else total
        reached = max((p.reached_at for p in people if p.reached_at), default=None)
        detail = {"members": len(people)}
        scores.append(Score(key=team, value=value, reached_at=reached if value else None, detail=detail))
    return scores


def average_tenths(total: int, members: int) -> int:
    """``total / members`` in tenths, halves rounded up, in integers only: the
    board index (a Lua script in Redis) computes the same number bit for bit,
    which a float's ``round(x, 1)`` would not promise."""
    return (20 * total + members) // (2 * members)


@dataclass(frozen=True)
class HeadToHead:
    outcome: str  # "win", "draw", or "pending" (fewer than two people)
    winner: int | None


def head_to_head(scores: Sequence[Score]) -> HeadToHead:
    """Two people, higher total wins; equal totals are a draw (who got there first does not break it)."""
    if len(scores) < 2:
        return HeadToHead(outcome="pending", winner=None)
    a, b = scores[0], scores[1]
    if a.value == b.value:
        return HeadToHead(outcome="draw", winner=None)
    return HeadToHead(outcome="win", winner=(a if a.value > b.value else b).key)


@dataclass(frozen=True)
class GroupProgress:
    total: int
    target: int
    reached_on: date | None

    @property
    def percent(self) -> float:
        return min(100.0, round(100 * self.total / self.target, 1)) if self.target else 0.0


def group_progress(days_by_person: Mapping[int, Sequence[Day]], *, target: int, daily_cap: int) -> GroupProgress:
    """Everyone together toward ``target``; ``reached_on`` is the first (local)
    day on which the running sum, day by day, got there."""
    per_day: dict[date, int] = {}
    for days in days_by_person.values():
        for d in days:
            per_day[d.day] = per_day.get(d.day, 0) + min(d.steps, daily_cap)
    running, reached_on = 0, None
    for day in sorted(per_day):
        running += per_day[day]
        if reached_on is None and running >= target:
            reached_on = day
    return GroupProgress(total=running, target=target, reached_on=reached_on)
