"""Reads of steps: history, summaries, other people's days, staff charts.

Every day here is the user's local calendar day (``DayTotal``: the maximum
over their devices). "Goal reached" compares with the goal the user had on
that day (``accounts.selectors.day_settings``): a new goal never rewrites
the past. A day nobody synced has no steps (``None``), which is not 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import day_settings, users_visible_to

from .local_days import local_day_bounds, local_today, month_bounds, week_bounds
from .models import DayTotal, HourlySteps
from .services import StepsValidationError

MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30
MAX_USERS_PER_LOOKUP = 100


@dataclass(frozen=True)
class DaySteps:
    day: date
    steps: int | None  # None: nothing was synced for the day
    goal: int  # the goal in force on that day
    goal_reached: bool | None


@dataclass(frozen=True)
class DayHistory:
    start: date
    end: date
    goal: int
    days: list[DaySteps]


@dataclass(frozen=True)
class HourStepsEntry:
    start: datetime  # aware, in the user's zone
    steps: int


@dataclass(frozen=True)
class BestDay:
    day: date
    steps: int


@dataclass(frozen=True)
class StepSummary:
    today: date
    timezone: str
    today_steps: int
    goal: int
    progress: float
    goal_reached: bool
    current_streak: int
    best_streak: int
    best_day: BestDay | None
    average_7d: int | None
    average_30d: int | None
    days_counted_7d: int
    days_counted_30d: int
    week_total: int
    month_total: int


@dataclass(frozen=True)
class UserDaySteps:
    user: User
    day: date
    steps: int
    goal_reached: bool


@dataclass(frozen=True)
class DailyActivity:
    day: date
    total_steps: int
    active_users: int


def _totals(user: User, start: date, end: date) -> dict[date, int]:
    rows = DayTotal.objects.filter(user=user, day__gte=start, day__lte=end).values_list("day", "steps")
    return dict(rows)


def day_history(*, user: User, start: date | None, end: date | None, now: datetime) -> DayHistory:
    """Every day from ``start`` to ``end`` (inclusive), oldest first, zero where
    nothing was synced. Defaults: the 30 days ending on the user's today."""
    if end is None:
        end = local_today(user, now) if start is None else start + timedelta(days=DEFAULT_HISTORY_DAYS - 1)
    if start is None:
        start = end - timedelta(days=DEFAULT_HISTORY_DAYS - 1)
    if start > end:
        raise StepsValidationError(_("Bad date range."), fields={"from": [_("Must not be after `to`.")]})
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise StepsValidationError(
            _("Bad date range."), fields={"to": [_("At most %(days)d days at a time.") % {"days": MAX_HISTORY_DAYS}]}
        )
    stored = _totals(user, start, end)
    settings = day_settings(user)
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        steps, goal = stored.get(day), settings.goal_on(day)
        days.append(DaySteps(day=day, steps=steps, goal=goal, goal_reached=None if steps is None else steps >= goal))
    return DayHistory(start=start, end=end, goal=user.daily_goal, days=days)


def hour_history(*, user: User, day: date | None, now: datetime) -> tuple[date, str, list[HourStepsEntry]]:
    """Every hour of the user's local day (23 or 25 on daylight-saving days),
    each the maximum over the user's devices, zero where nothing was synced;
    with the day and the zone it was walked in (not always today's zone)."""
    day = day or local_today(user, now)
    zone_name = day_settings(user).zone_on(day)
    zone = ZoneInfo(zone_name)
    start, end = local_day_bounds(zone, day)
    hour_count = int((end - start).total_seconds() // 3600)
    buckets = [0] * hour_count
    rows = HourlySteps.objects.filter(user=user, day=day)
    for hour_start, steps in rows.values_list("hour_start", "steps"):
        # Hours recorded at another offset (a trip) join the hour of this zone they fall in.
        index = min(max(int((hour_start - start).total_seconds() // 3600), 0), hour_count - 1)
        buckets[index] = max(buckets[index], steps)
    hours = [
        HourStepsEntry(start=(start + timedelta(hours=index)).astimezone(zone), steps=steps)
        for index, steps in enumerate(buckets)
    ]
    return day, zone_name, hours


def _streaks(goal_days: Sequence[date], today: date) -> tuple[int, int]:
    """(current, best) runs of consecutive goal days. The current run ends
    today when today's goal is reached, else yesterday: a streak is not broken
    until today is over."""
    best = run = 0
    previous: date | None = None
    for day in goal_days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = 0
    if previous is not None and previous >= today - timedelta(days=1):
        current = run
    return current, best


def step_summary(*, user: User, now: datetime) -> StepSummary:
    """Today, streaks, best day, averages and week/month totals, all in the
    user's time zone. Each day is judged by the goal it had. Averages are
    over the complete days (of the 7 or 30 ending yesterday) that have data,
    and say how many those were; week (ISO, Monday first) and month totals
    run from their first day through today."""
    today = local_today(user, now)
    settings = day_settings(user)
    goal = settings.goal_on(today)
    week_start, _week_end = week_bounds(today)
    month_start, _month_end = month_bounds(today)
    window_start = min(week_start, month_start, today - timedelta(days=30))
    recent = _totals(user, window_start, today)

    def total_between(first: date, last: date) -> int:
        return sum(steps for day, steps in recent.items() if first <= day <= last)

    def average(days: int) -> tuple[int | None, int]:
        counted = [steps for day, steps in recent.items() if today - timedelta(days=days) <= day < today]
        return (round(sum(counted) / len(counted)) if counted else None), len(counted)

    today_steps = recent.get(today, 0)
    candidates = DayTotal.objects.filter(user=user, day__lte=today, steps__gte=settings.min_goal()).order_by("day")
    goal_days = [day for day, steps in candidates.values_list("day", "steps") if steps >= settings.goal_on(day)]
    current_streak, best_streak = _streaks(goal_days, today)
    best = DayTotal.objects.filter(user=user, day__lte=today, steps__gt=0).order_by("-steps", "day").first()
    (average_7d, counted_7d), (average_30d, counted_30d) = average(7), average(30)
    return StepSummary(
        today=today,
        timezone=user.timezone,
        today_steps=today_steps,
        goal=goal,
        progress=round(today_steps / goal, 4),
        goal_reached=today_steps >= goal,
        current_streak=current_streak,
        best_streak=best_streak,
        best_day=BestDay(day=best.day, steps=best.steps) if best else None,
        average_7d=average_7d,
        average_30d=average_30d,
        days_counted_7d=counted_7d,
        days_counted_30d=counted_30d,
        week_total=total_between(week_start, today),
        month_total=total_between(month_start, today),
    )


def steps_of_users(*, viewer: User, ids: Sequence[UUID], day: date | None, now: datetime) -> list[UserDaySteps]:
    """Steps on ``day`` for those of ``ids`` the viewer may see, in the order
    asked; the others are simply absent. Without a day, each user's own local
    today, as ``/ws/live`` shows it (``today_totals``)."""
    if len(ids) > MAX_USERS_PER_LOOKUP:
        raise StepsValidationError(
            _("Too many ids."),
            fields={"ids": [_("At most %(count)d ids at a time.") % {"count": MAX_USERS_PER_LOOKUP}]},
        )
    visible = {user.uuid: user for user in users_visible_to(viewer=viewer, public_ids=ids)[0]}
    days = {user.pk: day or local_today(user, now) for user in visible.values()}
    totals = {
        (user_id, stored_day): steps
        for user_id, stored_day, steps in DayTotal.objects.filter(
            user__in=list(days), day__in=set(days.values())
        ).values_list("user", "day", "steps")
    }
    result, seen = [], set()
    for uuid in ids:
        user = visible.get(uuid)
        if user is None or uuid in seen:
            continue
        seen.add(uuid)
        users_day = days[user.pk]
        steps = totals.get((user.pk, users_day), 0)
        goal = day_settings(user).goal_on(users_day)
        result.append(UserDaySteps(user=user, day=users_day, steps=steps, goal_reached=steps >= goal))
    return result


def daily_activity(*, start: date, end: date) -> list[DailyActivity]:
    """For staff: all users' steps and how many people walked, per day, zero-filled."""
    rows = (
        DayTotal.objects.filter(day__gte=start, day__lte=end)
        .values("day")
        .annotate(total=Sum("steps"), active=Count("id", filter=Q(steps__gt=0)))
        .values_list("day", "total", "active")
    )
    stored = {day: (total or 0, active) for day, total, active in rows}
    return [
        DailyActivity(day=day, total_steps=stored.get(day, (0, 0))[0], active_users=stored.get(day, (0, 0))[1])
        for day in (start + timedelta(days=offset) for offset in range((end - start).days + 1))
    ]


def today_totals(*, users: Sequence[User], now: datetime) -> list[dict]:
    """Each user's total for their own local today (0 before the first sync),
    shaped like a live ``steps`` event. One query whatever the count."""
    today = {user.pk: local_today(user, now) for user in users}
    stored = {
        (user_id, day): steps
        for user_id, day, steps in DayTotal.objects.filter(
            user__in=[user.pk for user in users], day__in=set(today.values())
        ).values_list("user_id", "day", "steps")
    }
    return [
        {"user": str(user.uuid), "date": today[user.pk].isoformat(), "steps": stored.get((user.pk, today[user.pk]), 0)}
        for user in users
    ]
