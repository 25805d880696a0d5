"""The one write path for steps. REST, WebSocket, import, demo data and admin
all come through ``record_steps``; staff corrections through
``correct_daily_steps``. Nothing else writes step rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Model, Sum

from accounts.models import User
from notifications.services import queue_goal_notification
from pedometer_site.errors import DomainError
from rankings.services import index_day_totals

from .broadcasts import broadcast_day_totals
from .local_days import is_local_hour_start, local_day_of, local_today
from .models import DEFAULT_SOURCE, DailySteps, DayTotal, HourlySteps, StepCorrection

MAX_DAILY_STEPS = 100_000
MAX_HOURLY_STEPS = 15_000  # above a sustained 250 steps a minute is not walking
FLAG_DAILY_ABOVE = 50_000
FLAG_HOURLY_ABOVE = 10_000
MAX_DISTANCE_M = 250_000
MAX_FLOORS = 3_000
MAX_ITEMS_PER_SYNC = 400
API_BACKFILL_DAYS = 30
CLOCK_SKEW_DAYS = 1


@dataclass(frozen=True)
class DaySample:
    day: date
    steps: int
    distance_m: int | None = None
    floors: int | None = None


@dataclass(frozen=True)
class HourSample:
    start: datetime  # aware
    steps: int


@dataclass(frozen=True)
class DayChange:
    """One day a sync touched: the user's total before and after it."""

    day: date
    old_total: int
    new_total: int
    goal: int
    reached_at: datetime

    @property
    def changed(self) -> bool:
        return self.new_total != self.old_total

    @property
    def goal_reached(self) -> bool:
        return self.new_total >= self.goal


class StepsValidationError(DomainError):
    code = "validation_error"


class _Errors:
    """Collects every problem in a sync, keyed the way the client sent it."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, dict[str, list[str]]] | list[str]] = {}

    def item(self, collection: str, index: int, field: str, message: str) -> None:
        items = self.fields.setdefault(collection, {})
        assert isinstance(items, dict)
        items.setdefault(str(index), {}).setdefault(field, []).append(message)

    def whole(self, field: str, message: str) -> None:
        self.fields[field] = [message]

    def raise_if_any(self) -> None:
        if self.fields:
            raise StepsValidationError("Nothing was stored: some items are invalid.", fields=self.fields)


def _check_bounds(errors: _Errors, collection: str, index: int, field: str, value: int | None, top: int) -> None:
    if value is not None and not 0 <= value <= top:
        errors.item(collection, index, field, f"Must be between 0 and {top:,}.")


def _check_day(errors: _Errors, collection: str, index: int, field: str, day: date, today: date, max_age: int | None):
    if day > today + timedelta(days=CLOCK_SKEW_DAYS):
        errors.item(collection, index, field, f"Is in the future (your local today is {today.isoformat()}).")
    elif max_age is not None and day < today - timedelta(days=max_age):
        errors.item(collection, index, field, f"Is more than {max_age} days ago; older days cannot be synced.")


def validate_sync(
    *, user: User, days: list[DaySample], hours: list[HourSample], source: str, now: datetime, max_age_days: int | None
) -> None:
    """Every rule a sync must meet, checked before anything is written."""
    errors = _Errors()
    if len(days) + len(hours) > MAX_ITEMS_PER_SYNC:
        errors.whole("non_field_errors", f"At most {MAX_ITEMS_PER_SYNC} days and hours in one sync.")
        errors.raise_if_any()
    if not source or len(source) > 64:
        errors.whole("source", "Must be 1 to 64 characters.")
    today = local_today(user, now)
    for index, sample in enumerate(days):
        _check_day(errors, "days", index, "date", sample.day, today, max_age_days)
        _check_bounds(errors, "days", index, "steps", sample.steps, MAX_DAILY_STEPS)
        _check_bounds(errors, "days", index, "distance_m", sample.distance_m, MAX_DISTANCE_M)
        _check_bounds(errors, "days", index, "floors", sample.floors, MAX_FLOORS)
    for index, sample in enumerate(hours):
        if sample.start.tzinfo is None:
            errors.item("hours", index, "start", "Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00.")
            continue
        if not is_local_hour_start(user, sample.start):
            errors.item("hours", index, "start", f"Must be the start of an hour in your time zone ({user.timezone}).")
        _check_day(errors, "hours", index, "start", local_day_of(user, sample.start), today, max_age_days)
        _check_bounds(errors, "hours", index, "steps", sample.steps, MAX_HOURLY_STEPS)
    errors.raise_if_any()


def _max_or_none(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _merge_days(days: Iterable[DaySample]) -> dict[date, DaySample]:
    """The same day twice in one sync: the larger of each value (order-free)."""
    merged: dict[date, DaySample] = {}
    for sample in days:
        seen = merged.get(sample.day)
        merged[sample.day] = (
            sample
            if seen is None
            else DaySample(
                day=sample.day,
                steps=max(seen.steps, sample.steps),
                distance_m=_max_or_none(seen.distance_m, sample.distance_m),
                floors=_max_or_none(seen.floors, sample.floors),
            )
        )
    return merged


def _merge_hours(hours: Iterable[HourSample]) -> dict[datetime, int]:
    merged: dict[datetime, int] = {}
    for sample in hours:
        start = sample.start.astimezone(UTC)
        merged[start] = max(merged.get(start, 0), sample.steps)
    return merged


def record_steps(
    *,
    user: User,
    days: Iterable[DaySample] = (),
    hours: Iterable[HourSample] = (),
    source: str = DEFAULT_SOURCE,
    now: datetime,
    max_age_days: int | None = API_BACKFILL_DAYS,
) -> list[DayChange]:
    """Stores a sync, max-wins per key, in one transaction; returns every day it
    touched with the user's total before and after.

    A value lower than the stored one changes nothing, so retried, duplicated,
    reordered and late syncs can never double-count or go backwards. The whole
    sync is validated first: it is stored entirely or not at all.
    """
    days, hours = list(days), list(hours)
    validate_sync(user=user, days=days, hours=hours, source=source, now=now, max_age_days=max_age_days)
    day_samples = _merge_days(days)
    hour_samples = _merge_hours(hours)
    if not day_samples and not hour_samples:
        return []

    with transaction.atomic():
        # One person's syncs take turns (their phones race each other); different
        # people never wait on each other. Holding this lock makes read-then-write safe.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        hour_days = _write_hours(user, source, hour_samples, now)
        touched = sorted(set(day_samples) | hour_days)
        _write_days(user, source, touched, day_samples, now)
        changes = _write_totals(user, touched, now)
        _queue_goal_notifications(user, changes, now)
        changed = [change for change in changes if change.changed]
        if changed:
            transaction.on_commit(lambda: index_day_totals(user=user, changes=changed))
            transaction.on_commit(lambda: broadcast_day_totals(user=user, changes=changed, now=now))
    return changes


def _upsert(model: type[Model], rows: list[Model], *, unique_fields: list[str], update_fields: list[str]) -> None:
    """One INSERT ... ON DUPLICATE KEY UPDATE (ON CONFLICT on SQLite) for many rows."""
    # MySQL upserts on any unique key and refuses to be told which; SQLite needs it named.
    target = unique_fields if connection.features.supports_update_conflicts_with_target else None
    model.objects.bulk_create(rows, update_conflicts=True, unique_fields=target, update_fields=update_fields)


def _write_hours(user: User, source: str, samples: dict[datetime, int], now: datetime) -> set[date]:
    if not samples:
        return set()
    stored = {
        row.hour_start: row
        for row in HourlySteps.objects.filter(user=user, source=source, hour_start__in=list(samples))
    }
    rows = []
    for start, steps in samples.items():
        row = stored.get(start)
        if row is not None and row.steps >= steps:
            continue
        rows.append(
            HourlySteps(
                user=user,
                hour_start=start,
                day=local_day_of(user, start),
                source=source,
                steps=steps,
                flagged=steps > FLAG_HOURLY_ABOVE,
                created_at=row.created_at if row else now,
                updated_at=now,
            )
        )
    if rows:
        _upsert(
            HourlySteps,
            rows,
            unique_fields=["user", "hour_start", "source"],
            update_fields=["steps", "flagged", "updated_at"],
        )
    return {local_day_of(user, start) for start in samples}


def _write_days(user: User, source: str, touched: list[date], samples: dict[date, DaySample], now: datetime) -> None:
    hour_sums = dict(
        HourlySteps.objects.filter(user=user, source=source, day__in=touched)
        .values("day")
        .annotate(total=Sum("steps"))
        .values_list("day", "total")
    )
    stored = {row.day: row for row in DailySteps.objects.filter(user=user, source=source, day__in=touched)}
    rows = []
    for day in touched:
        row = stored.get(day)
        sample = samples.get(day)
        old = (row.steps, row.distance_m, row.floors) if row else (0, None, None)
        steps = max(old[0], sample.steps if sample else 0, hour_sums.get(day) or 0)
        distance_m = _max_or_none(old[1], sample.distance_m if sample else None)
        floors = _max_or_none(old[2], sample.floors if sample else None)
        if row is not None and (steps, distance_m, floors) == old:
            continue
        newly_unusual = steps > FLAG_DAILY_ABOVE and steps > old[0]
        rows.append(
            DailySteps(
                user=user,
                day=day,
                source=source,
                steps=steps,
                distance_m=distance_m,
                floors=floors,
                flagged=newly_unusual or bool(row and row.flagged),
                reviewed_at=None if newly_unusual else (row.reviewed_at if row else None),
                reviewed_by_id=None if newly_unusual else (row.reviewed_by_id if row else None),
                created_at=row.created_at if row else now,
                updated_at=now,
            )
        )
    if rows:
        _upsert(
            DailySteps,
            rows,
            unique_fields=["user", "day", "source"],
            update_fields=["steps", "distance_m", "floors", "flagged", "reviewed_at", "reviewed_by", "updated_at"],
        )


def _write_totals(user: User, touched: list[date], now: datetime) -> list[DayChange]:
    """Recomputes the user's total (max over sources) for the touched days."""
    maxima = dict(
        DailySteps.objects.filter(user=user, day__in=touched)
        .values("day")
        .annotate(top=Max("steps"))
        .values_list("day", "top")
    )
    stored = {row.day: row for row in DayTotal.objects.filter(user=user, day__in=touched)}
    changes, rows = [], []
    for day in touched:
        row = stored.get(day)
        old = row.steps if row else 0
        new = maxima.get(day) or 0
        if row is None or new != old:
            reached_at = now if row is None or new > old else row.reached_at
            rows.append(DayTotal(user=user, day=day, steps=new, reached_at=reached_at))
        else:
            reached_at = row.reached_at
        changes.append(DayChange(day=day, old_total=old, new_total=new, goal=user.daily_goal, reached_at=reached_at))
    if rows:
        _upsert(DayTotal, rows, unique_fields=["user", "day"], update_fields=["steps", "reached_at"])
    return changes


def _queue_goal_notifications(user: User, changes: list[DayChange], now: datetime) -> None:
    """Goal pushes for today and yesterday only: a backfilled week-old day is news to nobody."""
    today = local_today(user, now)
    for change in changes:
        crossed_now = change.new_total > change.old_total and change.goal_reached
        if crossed_now and today - timedelta(days=1) <= change.day <= today:
            queue_goal_notification(user=user, day=change.day, steps=change.new_total, now=now)


def correct_daily_steps(
    *, staff: User, user: User, day: date, source: str, steps: int, reason: str, now: datetime
) -> DayChange:
    """A staff correction: the only write that may lower a count. Audited."""
    if not staff.is_staff:
        raise DomainError("Only staff can correct step counts.")
    if not reason.strip():
        raise StepsValidationError("Say why the count is corrected.", fields={"reason": ["This field is required."]})
    if not 0 <= steps <= MAX_DAILY_STEPS:
        raise StepsValidationError("Out of range.", fields={"steps": [f"Must be between 0 and {MAX_DAILY_STEPS:,}."]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        row, _ = DailySteps.objects.get_or_create(user=user, day=day, source=source, defaults={"created_at": now})
        StepCorrection.objects.create(
            user=user,
            day=day,
            source=source,
            old_steps=row.steps,
            new_steps=steps,
            reason=reason.strip(),
            corrected_by=staff,
            created_at=now,
        )
        row.steps = steps
        hours = HourlySteps.objects.filter(user=user, day=day, source=source)
        if steps < (hours.aggregate(total=Sum("steps"))["total"] or 0):
            # A day never counts less than its hours: hours above the corrected total go with it.
            hours.delete()
        row.flagged = False
        row.reviewed_at, row.reviewed_by = now, staff
        row.updated_at = now
        row.save(update_fields=["steps", "flagged", "reviewed_at", "reviewed_by", "updated_at"])
        (change,) = _write_totals(user, [day], now)
        if change.changed:
            transaction.on_commit(lambda: index_day_totals(user=user, changes=[change]))
    return change
