"""The one write path for steps. REST, WebSocket, demo data and admin all
come through ``record_steps``; imports through ``record_imported_steps`` (the
same writes, by batches); staff corrections through ``correct_daily_steps``.
Nothing else writes step rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, Model, Sum
from django.db.models.constants import OnConflict
from django.utils.translation import gettext as _

from accounts.events import AccountDeleted
from accounts.models import User
from accounts.selectors import DaySettingsOf, day_settings
from infrastructure.api.errors import DomainError
from infrastructure.db.transactions import run_idempotent_transaction

from .changes import DayChange, DayChanges, DaySample, HourSample, Origin, day_changes
from .local_days import is_hour_start, local_today
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


class StepsValidationError(DomainError):
    code = "validation_error"


class StaffOnlyError(DomainError):
    status_code = 403
    code = "permission_denied"


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
            raise StepsValidationError(_("Nothing was stored: some items are invalid."), fields=self.fields)


def _check_bounds(errors: _Errors, collection: str, index: int, field: str, value: int | None, top: int) -> None:
    if value is not None and not 0 <= value <= top:
        errors.item(collection, index, field, _("Must be between 0 and %(top)s.") % {"top": f"{top:,}"})


def _check_day(errors: _Errors, collection: str, index: int, field: str, day: date, today: date, max_age: int | None):
    if day > today + timedelta(days=CLOCK_SKEW_DAYS):
        errors.item(
            collection,
            index,
            field,
            _("Is in the future (your local today is %(today)s).") % {"today": today.isoformat()},
        )
    elif max_age is not None and day < today - timedelta(days=max_age):
        errors.item(
            collection,
            index,
            field,
            _("Is more than %(days)d days ago; older days cannot be synced.") % {"days": max_age},
        )


def check_sync_size(item_count: int) -> None:
    """Callers may check this before parsing a large body item by item."""
    if item_count > MAX_ITEMS_PER_SYNC:
        raise StepsValidationError(
            _("Nothing was stored: too many items."),
            fields={
                "non_field_errors": [_("At most %(count)d days and hours in one sync.") % {"count": MAX_ITEMS_PER_SYNC}]
            },
        )


def validate_sync(
    *, user: User, days: list[DaySample], hours: list[HourSample], source: str, now: datetime, max_age_days: int | None
) -> None:
    """Every rule a sync must meet, checked before anything is written."""
    check_sync_size(len(days) + len(hours))
    errors = _Errors()
    if not source or len(source) > 64:
        errors.whole("source", _("Must be 1 to 64 characters."))
    today = local_today(user, now)
    for index, sample in enumerate(days):
        _check_day(errors, "days", index, "date", sample.day, today, max_age_days)
        _check_bounds(errors, "days", index, "steps", sample.steps, MAX_DAILY_STEPS)
        _check_bounds(errors, "days", index, "distance_m", sample.distance_m, MAX_DISTANCE_M)
        _check_bounds(errors, "days", index, "floors", sample.floors, MAX_FLOORS)
    for index, hour in enumerate(hours):
        if hour.start.tzinfo is None:
            errors.item("hours", index, "start", _("Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00."))
            continue
        if not is_hour_start(hour.start):
            errors.item("hours", index, "start", _("Must be the start of an hour at its own UTC offset."))
        _check_day(errors, "hours", index, "start", hour.start.date(), today, max_age_days)
        _check_bounds(errors, "hours", index, "steps", hour.steps, MAX_HOURLY_STEPS)
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


@dataclass(frozen=True)
class _Hour:
    steps: int
    day: date  # the local day at the sample's own offset: where the phone was


def _merge_hours(hours: Iterable[HourSample]) -> dict[datetime, _Hour]:
    """Keyed by the UTC start. The same instant sent twice keeps its larger
    count and the day it was first sent with."""
    merged: dict[datetime, _Hour] = {}
    for sample in hours:
        start = sample.start.astimezone(UTC)
        seen = merged.get(start)
        merged[start] = _Hour(max(sample.steps, seen.steps if seen else 0), seen.day if seen else sample.start.date())
    return merged


def record_steps(
    *,
    user: User,
    days: Iterable[DaySample] = (),
    hours: Iterable[HourSample] = (),
    source: str = DEFAULT_SOURCE,
    now: datetime,
    max_age_days: int | None = API_BACKFILL_DAYS,
    origin: Origin = Origin.SYNC,
) -> list[DayChange]:
    """Stores a sync, max-wins per key, in one transaction; returns every day it
    touched with the user's total before and after.

    A value lower than the stored one changes nothing, so retried, duplicated,
    reordered and late syncs can never double-count or go backwards. The whole
    sync is validated first: it is stored entirely or not at all. The days
    whose totals changed are published on ``day_changes`` with ``origin``.
    """
    days, hours = list(days), list(hours)
    validate_sync(user=user, days=days, hours=hours, source=source, now=now, max_age_days=max_age_days)
    day_samples = _merge_days(days)
    hour_samples = _merge_hours(hours)
    if not day_samples and not hour_samples:
        return []

    touched = sorted(set(day_samples) | {hour.day for hour in hour_samples.values()})

    def store(retried: bool) -> list[DayChange]:
        totals, stored = _lock_user_and_read_totals(user, touched, source)
        ceilings = {day: row.ceiling for day, row in totals.items() if row.ceiling is not None}
        hour_sums = _write_hours(user, source, hour_samples, set(ceilings), now)
        device_days = _write_days(user, source, touched, day_samples, hour_sums, ceilings, now, stored=stored)
        changes = _raise_totals(user, device_days, totals, day_settings(user), now)
        # After a lost connection an earlier attempt may have committed these very
        # changes without running its after-commit work: publish every touched day
        # then (absolute values, so publishing one twice is harmless).
        _publish(user, changes, origin, now, everything=retried)
        return changes

    # Max-wins makes a sync idempotent, so a failover or a lock conflict mid-sync
    # (deadlocks on neighbouring keys happen between different people's upserts
    # even under READ COMMITTED) is retried here instead of failing the phone.
    return run_idempotent_transaction(store)


def _publish(
    user: User, changes: Iterable[DayChange], origin: Origin, now: datetime, *, everything: bool = False
) -> None:
    changed = tuple(change for change in changes if change.changed or everything)
    if changed:
        day_changes.publish(DayChanges(user=user, changes=changed, origin=origin, now=now))


# The reads and upserts every sync runs are written in SQL: compiling them
# through the ORM took more CPU than all the rest of a one-day sync, and the
# server's CPU per request is what bounds its throughput (bench/ingest.py).
# Plain SQL that MySQL, MariaDB and SQLite read alike; values are parameters.


def _in_list(days: list[date]) -> tuple[str, list[str | None]]:
    return ", ".join(["%s"] * len(days)), [connection.ops.adapt_datefield_value(day) for day in days]


def _aware(value: datetime) -> datetime:
    # Django keeps datetimes as UTC; a raw cursor hands them back naive.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


DeviceDay = tuple[int, int | None, int | None, bool]  # (steps, distance_m, floors, flagged) of one source's day


def _lock_user_and_read_totals(
    user: User, days: list[date], source: str | None = None
) -> tuple[dict[date, DayTotal], dict[date, DeviceDay]]:
    """Takes the user's row lock and, in the same round trip, reads their
    stored totals for ``days`` and, given a ``source``, that device's days.

    One person's syncs take turns (their phones race each other); different
    people never wait on each other. Holding this lock makes read-then-write
    safe. A locking read sees the latest committed rows, so the rows read
    here are the ones the previous holder of the lock left.
    """
    placeholders, params = _in_list(days)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    device_columns, device_join, device_params = ", NULL, NULL, NULL, NULL, NULL", "", []
    if source is not None:
        # Both joins hang off the user's row, so the result is totals x device
        # days: at most 32 x 32 rows for a sync (30 days back to tomorrow),
        # against one more round trip for every sync. An import's batches span
        # years, so imports read their devices' days apart (_write_days).
        device_columns = ", d.day, d.steps, d.distance_m, d.floors, d.flagged"
        device_join = (
            f" LEFT JOIN {DailySteps._meta.db_table} d"
            f" ON d.user_id = u.id AND d.source = %s AND d.day IN ({placeholders})"
        )
        device_params = [source, *params]
    sql = (
        f"SELECT t.day, t.steps, t.reached_at, t.ceiling{device_columns} FROM {User._meta.db_table} u "  # noqa: S608 - parameters
        f"LEFT JOIN {DayTotal._meta.db_table} t ON t.user_id = u.id AND t.day IN ({placeholders})"
        f"{device_join} WHERE u.id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *device_params, user.pk])
        rows = cursor.fetchall()
    totals: dict[date, DayTotal] = {}
    device: dict[date, DeviceDay] = {}
    for day, steps, reached_at, ceiling, device_day, device_steps, distance_m, floors, flagged in rows:
        if day is not None and day not in totals:
            totals[day] = DayTotal(user=user, day=day, steps=steps, reached_at=_aware(reached_at), ceiling=ceiling)
        if device_day is not None:
            device[device_day] = (device_steps, distance_m, floors, bool(flagged))
    return totals, device


def _read_device_days(user: User, source: str, days: list[date]) -> dict[date, DeviceDay]:
    """This device's stored days."""
    placeholders, params = _in_list(days)
    sql = (
        f"SELECT day, steps, distance_m, floors, flagged FROM {DailySteps._meta.db_table} "  # noqa: S608 - as above
        f"WHERE user_id = %s AND source = %s AND day IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, source, *params])
        return {
            day: (steps, distance_m, floors, bool(flagged))
            for day, steps, distance_m, floors, flagged in cursor.fetchall()
        }


def _read_device_hours(user: User, source: str, days: list[date], starts: list[datetime]) -> dict[datetime, _Hour]:
    """This device's stored hours on ``days``, and those at ``starts`` whatever
    day they were filed on (an hour keeps its first day)."""
    day_placeholders, day_params = _in_list(days)
    start_params = [connection.ops.adapt_datetimefield_value(start) for start in starts]
    sql = (
        f"SELECT hour_start, steps, day FROM {HourlySteps._meta.db_table} "  # noqa: S608 - as above
        f"WHERE user_id = %s AND source = %s AND (day IN ({day_placeholders}) "
        f"OR hour_start IN ({', '.join(['%s'] * len(starts))}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, source, *day_params, *start_params])
        return {_aware(start): _Hour(steps, day) for start, steps, day in cursor.fetchall()}


def counted_steps(steps: int, *, flagged: bool) -> int:
    """What one source's day adds to the user's total: a flagged day counts
    at the review threshold until staff let it stand."""
    return min(steps, FLAG_DAILY_ABOVE) if flagged else steps


def _upsert(model: type[Model], rows: Sequence[Model], *, unique_fields: list[str], update_fields: list[str]) -> None:
    """One INSERT ... ON DUPLICATE KEY UPDATE (ON CONFLICT on SQLite) for many rows:
    the statement ``bulk_create(update_conflicts=True)`` writes, with Django's
    own clause for each database, without its per-call work."""
    meta, ops = model._meta, connection.ops
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    column = {field.name: cast(str, field.column) for field in fields}  # a concrete field always has one
    conflict = ops.on_conflict_suffix_sql(
        fields,
        OnConflict.UPDATE,
        [column[name] for name in update_fields],
        [column[name] for name in unique_fields],
    )
    insert = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({', '.join(ops.quote_name(column[f.name]) for f in fields)})"
    )
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(ops.bulk_batch_size(fields, rows), 1)  # SQLite caps the parameters of one statement
    # A week of hours is 168 rows of mostly the same values (user, source,
    # now, day): preparing each value once per statement, not once per row,
    # halved the CPU of such a sync.
    prepared: dict[tuple[int, object], Any] = {}

    def prepare(column: int, field: Field, value: object) -> Any:
        key = (column, value)
        try:
            return prepared[key]
        except KeyError:
            prepared[key] = field.get_db_prep_save(value, connection)
            return prepared[key]

    with connection.cursor() as cursor:
        for first in range(0, len(rows), batch):
            chunk = rows[first : first + batch]
            params = [
                prepare(column, field, getattr(row, field.attname))
                for row in chunk
                for column, field in enumerate(fields)
            ]
            cursor.execute(f"{insert} VALUES {', '.join([row_sql] * len(chunk))} {conflict}", params)


def _write_hours(
    user: User, source: str, samples: dict[datetime, _Hour], corrected: set[date], now: datetime
) -> dict[date, int]:
    """Raises this device's hours; returns the sum of its hours on each day they touched.

    Each hour is filed on the local day of its own UTC offset, and keeps the
    day it was first filed on. A corrected day takes no more hours (staff set
    its count; the hours that fit it were kept). Hours that would make one
    day of this device hold more than a day can (``MAX_DAILY_STEPS``) refuse
    the whole sync.
    """
    samples = {start: hour for start, hour in samples.items() if hour.day not in corrected}
    if not samples:
        return {}
    stored = _read_device_hours(user, source, sorted({hour.day for hour in samples.values()}), list(samples))
    merged = dict(stored)
    for start, hour in samples.items():
        old = stored.get(start)
        merged[start] = _Hour(max(hour.steps, old.steps), old.day) if old else hour
    days = sorted({merged[start].day for start in samples})
    sums: dict[date, int] = {}
    for hour in merged.values():
        sums[hour.day] = sums.get(hour.day, 0) + hour.steps
    over = [day.isoformat() for day in days if sums[day] > MAX_DAILY_STEPS]
    if over:
        raise StepsValidationError(
            _("Nothing was stored: some items are invalid."),
            fields={
                "hours": [
                    _("The hours of %(days)s add up to more than %(top)s steps a day.")
                    % {"days": ", ".join(over), "top": f"{MAX_DAILY_STEPS:,}"}
                ]
            },
        )
    rows = [
        HourlySteps(
            user=user,
            hour_start=start,
            day=merged[start].day,
            source=source,
            steps=hour.steps,
            flagged=hour.steps > FLAG_HOURLY_ABOVE,
            created_at=now,  # kept as it was when the row exists: not among the updated fields
            updated_at=now,
        )
        # In key order, as every sync writes them: concurrent upserts then meet in one order.
        for start, hour in sorted(samples.items())
        if start not in stored or hour.steps > stored[start].steps
    ]
    if rows:
        _upsert(
            HourlySteps,
            rows,
            unique_fields=["user", "hour_start", "source"],
            update_fields=["steps", "flagged", "updated_at"],
        )
    return {day: sums[day] for day in days}


def _write_days(
    user: User,
    source: str,
    touched: list[date],
    samples: dict[date, DaySample],
    hour_sums: dict[date, int],
    ceilings: dict[date, int],
    now: datetime,
    *,
    stored: dict[date, DeviceDay] | None = None,
) -> dict[date, int]:
    """Raises this device's day rows (``stored``: as read under the user's
    lock; read here when not given); returns what each touched day of the
    device adds to the user's total (``counted_steps``)."""
    # Days whose hours did not change already hold at least their hours' sum: only new hours can lift a day.
    if stored is None:
        stored = _read_device_days(user, source, touched)
    counted: dict[date, int] = {}
    plain, unusual = [], []
    for day in touched:
        old = stored.get(day)
        old_steps, old_distance, old_floors, old_flagged = old or (0, None, None, False)
        sample = samples.get(day)
        steps = min(max(old_steps, sample.steps if sample else 0, hour_sums.get(day, 0)), MAX_DAILY_STEPS)
        if day in ceilings:
            # A staff correction stands for every device: re-sending the old count must not undo it.
            steps = min(steps, ceilings[day])
        # Newly unusual: flagged for review (again, if it was reviewed at a lower count).
        flagged = old_flagged or (steps > FLAG_DAILY_ABOVE and steps > old_steps)
        counted[day] = counted_steps(steps, flagged=flagged)
        distance_m = _max_or_none(old_distance, sample.distance_m if sample else None)
        floors = _max_or_none(old_floors, sample.floors if sample else None)
        if old is not None and (steps, distance_m, floors) == (old_steps, old_distance, old_floors):
            continue
        row = DailySteps(
            user=user, day=day, source=source, steps=steps, distance_m=distance_m, floors=floors,
            created_at=now, updated_at=now,
        )  # fmt: skip
        if flagged and not old_flagged:
            row.flagged = True
            unusual.append(row)
        else:
            plain.append(row)
    counts = ["steps", "distance_m", "floors", "updated_at"]
    if plain:
        _upsert(DailySteps, plain, unique_fields=["user", "day", "source"], update_fields=counts)
    if unusual:
        review = ["flagged", "reviewed_at", "reviewed_by"]
        _upsert(DailySteps, unusual, unique_fields=["user", "day", "source"], update_fields=counts + review)
    return counted


def _raise_totals(
    user: User, device_days: dict[date, int], stored: dict[date, DayTotal], settings: DaySettingsOf, now: datetime
) -> list[DayChange]:
    """The user's totals after one device's counts went up (or stayed).

    A total is the maximum over devices and ``record_steps`` only ever raises
    one device's counts, so the new total is the larger of the stored total
    and that device's count: no need to read the other devices. (Corrections
    may lower a count and recompute from every device: ``_recompute_totals``.)
    """
    changes, rows = [], []
    for day, device_steps in sorted(device_days.items()):
        row = stored.get(day)
        old = row.steps if row else 0
        if row is None or device_steps > old:
            new, reached_at = max(old, device_steps), now
            rows.append(
                DayTotal(user=user, day=day, steps=new, reached_at=reached_at, ceiling=row.ceiling if row else None)
            )
        else:
            new, reached_at = old, row.reached_at
        changes.append(
            DayChange(day=day, old_total=old, new_total=new, goal=settings.goal_on(day), reached_at=reached_at)
        )
    if rows:
        _upsert(DayTotal, rows, unique_fields=["user", "day"], update_fields=["steps", "reached_at"])
    return changes


def _recompute_totals(user: User, touched: list[date], now: datetime) -> list[DayChange]:
    """Recomputes the user's total for the touched days from every source, as
    each counts (``counted_steps``) and under the day's correction."""
    maxima: dict[date, int] = {}
    for day, steps, flagged in DailySteps.objects.filter(user=user, day__in=touched).values_list(
        "day", "steps", "flagged"
    ):
        maxima[day] = max(maxima.get(day, 0), counted_steps(steps, flagged=flagged))
    stored = {row.day: row for row in DayTotal.objects.filter(user=user, day__in=touched)}
    settings = day_settings(user)
    changes, rows = [], []
    for day in touched:
        row = stored.get(day)
        old = row.steps if row else 0
        ceiling = row.ceiling if row else None
        new = min(maxima.get(day, 0), ceiling) if ceiling is not None else maxima.get(day, 0)
        if row is None or new != old:
            reached_at = now if row is None or new > old else row.reached_at
            rows.append(DayTotal(user=user, day=day, steps=new, reached_at=reached_at, ceiling=ceiling))
        else:
            reached_at = row.reached_at
        changes.append(
            DayChange(day=day, old_total=old, new_total=new, goal=settings.goal_on(day), reached_at=reached_at)
        )
    if rows:
        _upsert(DayTotal, rows, unique_fields=["user", "day"], update_fields=["steps", "reached_at", "ceiling"])
    return changes


def correct_daily_steps(
    *, staff: User, user: User, day: date, source: str, steps: int, reason: str, now: datetime
) -> DayChange:
    """A staff correction: the only write that may lower a count. Audited."""
    if not staff.is_staff:
        raise StaffOnlyError(_("Only staff can correct step counts."))
    if not reason.strip():
        raise StepsValidationError(
            _("Say why the count is corrected."), fields={"reason": [_("This field is required.")]}
        )
    if not 0 <= steps <= MAX_DAILY_STEPS:
        raise StepsValidationError(
            _("Out of range."),
            fields={"steps": [_("Must be between 0 and %(top)s.") % {"top": f"{MAX_DAILY_STEPS:,}"}]},
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        row, _created = DailySteps.objects.get_or_create(
            user=user, day=day, source=source, defaults={"created_at": now}
        )
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
        row.flagged = False
        row.reviewed_at, row.reviewed_by = now, staff
        row.updated_at = now
        row.save(update_fields=["steps", "flagged", "reviewed_at", "reviewed_by", "updated_at"])
        # The correction is the day's: no other device holds more, now or later.
        DailySteps.objects.filter(user=user, day=day, steps__gt=steps).update(steps=steps, updated_at=now)
        hour_sums = HourlySteps.objects.filter(user=user, day=day).values("source").annotate(total=Sum("steps"))
        # A day never counts less than its hours: a device's hours above the corrected count go.
        over = [item["source"] for item in hour_sums if item["total"] > steps]
        if over:
            HourlySteps.objects.filter(user=user, day=day, source__in=over).delete()
        DayTotal.objects.update_or_create(
            user=user, day=day, defaults={"ceiling": steps}, create_defaults={"ceiling": steps, "reached_at": now}
        )
        (change,) = _recompute_totals(user, [day], now)
        _publish(user, [change], Origin.CORRECTION, now)
    return change


def review_flagged_days(*, staff: User, ids: Iterable[int], now: datetime) -> int:
    """Staff looked at unusual days and let them stand; returns how many were
    flagged. Those days now count in full: their totals are recomputed."""
    if not staff.is_staff:
        raise StaffOnlyError(_("Only staff can review step counts."))
    with transaction.atomic():
        rows = list(DailySteps.objects.select_for_update().filter(pk__in=list(ids), flagged=True))
        DailySteps.objects.filter(pk__in=[row.pk for row in rows]).update(
            flagged=False, reviewed_at=now, reviewed_by=staff, updated_at=now
        )
        days_by_user: dict[int, set[date]] = {}
        for row in rows:
            days_by_user.setdefault(row.user_id, set()).add(row.day)
        for user in User.objects.filter(pk__in=days_by_user).order_by("pk"):
            _publish(user, _recompute_totals(user, sorted(days_by_user[user.pk]), now), Origin.CORRECTION, now)
    return len(rows)


def publish_deleted_days(event: AccountDeleted) -> None:
    """In the transaction that deletes an account (``accounts.events.account_deleted``),
    before its rows go: every day it had steps on now totals 0, for whoever
    holds a copy of those totals (the board index)."""
    user = event.user
    changes = [
        DayChange(day=day, old_total=steps, new_total=0, goal=user.daily_goal, reached_at=reached_at)
        for day, steps, reached_at in DayTotal.objects.filter(user=user, steps__gt=0)
        .order_by("day")
        .values_list("day", "steps", "reached_at")
    ]
    _publish(user, changes, Origin.DELETION, event.now)


# --- Imports: history brought from another app ---------------------------------

MAX_IMPORT_AGE_DAYS = 3653  # ten years


@dataclass(frozen=True)
class ImportedDay:
    """One source's counts for one local day, from an import: its hours
    (aware UTC starts) filed on ``day`` whatever the user's zone is now (the
    day is where the source was), and the day's total."""

    day: date
    source: str
    hours: dict[datetime, int]
    steps: int
    distance_m: int | None = None


@dataclass(frozen=True)
class ImportedBatch:
    changes: list[DayChange]  # every day stored, with the user's total before and after
    stored: int  # source-days stored
    refused: int  # source-days left out: too old, in the future, or over a cap
    # The batch's transaction ran again (a lost connection or a conflict): an
    # earlier attempt may have committed, so ``changes`` may read "unchanged"
    # for days this batch did raise. Their publish must not skip them.
    retried: bool = False


def _import_refusal(item: ImportedDay, today: date) -> bool:
    if not today - timedelta(days=MAX_IMPORT_AGE_DAYS) <= item.day <= today + timedelta(days=CLOCK_SKEW_DAYS):
        return True
    if not 1 <= len(item.source) <= 64 or not 0 <= item.steps <= MAX_DAILY_STEPS:
        return True
    if item.distance_m is not None and not 0 <= item.distance_m <= MAX_DISTANCE_M:
        return True
    if sum(item.hours.values()) > MAX_DAILY_STEPS:
        return True
    return any(not 0 <= steps <= MAX_HOURLY_STEPS for steps in item.hours.values())


def record_imported_steps(*, user: User, days: Iterable[ImportedDay], now: datetime) -> ImportedBatch:
    """Stores a batch of imported days, in one transaction, by the same rules
    as ``record_steps``: max-wins per (day|hour, source), a day never below
    its hours, staff ceilings kept, unusual counts flagged, the user's total
    the maximum over sources. Differences, because history is not a sync:
    up to ten years back are accepted; a source-day over a cap is left out
    (counted in ``refused``) instead of failing the whole file; and a batch
    publishes nothing on ``day_changes``: the caller calls
    ``publish_imported_changes`` once, when the whole import is stored.

    Like a sync, a batch is idempotent (max-wins), so its transaction is run
    again after a lost connection or a conflict (``run_idempotent_transaction``).
    """
    today = local_today(user, now)
    accepted: list[ImportedDay] = []
    refused = 0
    for item in days:
        if _import_refusal(item, today):
            refused += 1
        else:
            accepted.append(item)
    if not accepted:
        return ImportedBatch(changes=[], stored=0, refused=refused)
    by_source: dict[str, list[ImportedDay]] = {}
    for item in accepted:
        by_source.setdefault(item.source, []).append(item)
    touched = sorted({item.day for item in accepted})

    def store(retried: bool) -> ImportedBatch:
        first_seen: dict[date, DayChange] = {}
        last_seen: dict[date, DayChange] = {}
        totals, _ = _lock_user_and_read_totals(user, touched)
        ceilings = {day: row.ceiling for day, row in totals.items() if row.ceiling is not None}
        settings = day_settings(user)
        for source, items in sorted(by_source.items()):
            # Each hour filed on its item's day: the local day where the source was.
            hours = {
                start.astimezone(UTC): _Hour(steps, item.day) for item in items for start, steps in item.hours.items()
            }
            hour_sums = _write_hours(user, source, hours, set(ceilings), now)
            samples = {item.day: DaySample(item.day, item.steps, item.distance_m) for item in items}
            device_days = _write_days(user, source, sorted(samples), samples, hour_sums, ceilings, now)
            for change in _raise_totals(user, device_days, totals, settings, now):
                first_seen.setdefault(change.day, change)
                last_seen[change.day] = change
                before = totals.get(change.day)
                totals[change.day] = DayTotal(
                    user=user,
                    day=change.day,
                    steps=change.new_total,
                    reached_at=change.reached_at,
                    ceiling=before.ceiling if before else None,
                )
        changes = [
            DayChange(
                day=day,
                old_total=first_seen[day].old_total,
                new_total=last.new_total,
                goal=last.goal,
                reached_at=last.reached_at,
            )
            for day, last in sorted(last_seen.items())
        ]
        return ImportedBatch(changes=changes, stored=len(accepted), refused=refused, retried=retried)

    return run_idempotent_transaction(store)


def publish_imported_changes(
    *, user: User, changes: Sequence[DayChange], now: datetime, everything: bool = False
) -> None:
    """Once per import, after its last batch committed: one publish on
    ``day_changes`` of every day the import changed (its batches' changes
    merged: the total before the first, after the last), ``origin=IMPORT``,
    in a transaction of its own. Its handlers choose by origin: the board
    index catches up in one write for all the days; no goal push is queued
    and no live event is sent per day. ``everything``: a batch was retried,
    so days that read unchanged are published too (absolute totals, so
    publishing one that did not change is harmless).
    """
    changed = tuple(change for change in changes if change.changed or everything)
    if not changed:
        return
    with transaction.atomic():  # the fan-out publishes inside a transaction; in-transaction handlers run in it
        day_changes.publish(DayChanges(user=user, changes=changed, origin=Origin.IMPORT, now=now))
