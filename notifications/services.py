"""Everything that changes the outbox: queue a push, deliver it, sweep, resend.

The life of a row: ``queue_goal_notification`` writes it in the caller's
transaction and, on commit, hands its id to the task queue. A worker runs
``deliver_notification``: it claims the row with one conditional UPDATE (a
lease), calls FCM with no transaction open, and writes the outcome only if it
still holds the lease. ``sweep_notifications`` re-queues rows whose message
was lost or whose worker died (the lease ran out), and deletes finished rows
past their retention. Delivery is at least once and the claim makes "more
than once" need a worker to die after FCM accepted the push and before the
outcome was written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from steps.changes import DayChanges, Origin
from steps.local_days import local_today

from .delivery import MAX_ATTEMPTS, lease_free
from .models import Kind, Notification, Status
from .quiet_hours import release_at
from .tasks import enqueue_delivery

logger = logging.getLogger(__name__)

# The sweep leaves a due row alone this long, so the task already queued for it
# (on commit, or with a retry's ETA) gets there first.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 1000

# A goal reached by a sync or a socket frame is news. An import is history
# (days walked long ago, counted by another app): no push for it; a count staff
# corrected is not an achievement, and a deleted account has no one to tell.
GOAL_ORIGINS = frozenset({Origin.SYNC, Origin.SOCKET})


def queue_goal_notifications(event: DayChanges) -> None:
    """In the transaction of the change (``steps.changes.day_changes``): a day
    whose total went up may owe a "goal reached" push."""
    if event.origin not in GOAL_ORIGINS:
        return
    for change in event.changes:
        if change.new_total > change.old_total:
            queue_goal_notification(user=event.user, day=change.day, steps=change.new_total, now=event.now)


def queue_goal_notification(*, user: User, day: date, steps: int, now: datetime) -> None:
    """Owes ``user`` one "goal reached" push for ``day``, once.

    Called inside the transaction of a change whenever a day's total went
    up (``queue_goal_notifications``). Only the user's local today and yesterday (a late
    sync) count, and only once the total reaches the goal. The unique key on
    (user, day, kind) makes a second row impossible; a duplicate is absorbed in
    a savepoint, so it never breaks the caller's transaction, and only the call
    that created the row queues a delivery, after the commit.
    """
    if steps < user.daily_goal:
        return
    today = local_today(user, now)
    if day not in (today, today - timedelta(days=1)):
        return
    queue_notification(
        user=user, kind=Kind.GOAL_REACHED, day=day, now=now, steps=steps, goal=user.daily_goal
    )  # fmt: skip


def queue_notification(
    *,
    user: User,
    kind: str,
    day: date,
    now: datetime,
    subject: str = "",
    data: dict | None = None,
    due: datetime | None = None,
    steps: int = 0,
    goal: int = 0,
) -> bool:
    """Owes ``user`` one push of ``kind`` about ``subject`` for ``day``, once; True if this call did.

    Due at ``due`` (default now), later if that falls in the user's quiet hours.
    The unique key on (user, day, kind, subject) makes a second row impossible;
    a duplicate is absorbed in a savepoint, so it never breaks the caller's
    transaction, and only the call that created the row queues a delivery,
    after the commit.
    """
    due = release_at(user, due or now)
    # get_or_create inserts inside a savepoint and reads the winner's row on IntegrityError.
    notification, created = Notification.objects.get_or_create(
        user=user,
        day=day,
        kind=kind,
        subject=subject,
        defaults={"steps": steps, "goal": goal, "data": data or {}, "next_attempt_at": due, "created_at": now},
    )
    if created:
        eta = due if due > now else None
        transaction.on_commit(partial(enqueue_delivery, notification_id=notification.pk, eta=eta), robust=True)
    return created


@dataclass(frozen=True)
class Owed:
    user: User
    day: date
    data: dict


def queue_notifications(*, owed: Iterable[Owed], kind: str, subject: str, now: datetime, batch: int = 2_000) -> int:
    """``queue_notification`` for many users at once (a challenge's final
    results: one per participant): the same once-only key, a bulk insert that
    skips rows already there instead of a savepoint each, and one delivery
    queued per row this call created, after the commit. Returns how many."""
    owed = list(owed)
    if not owed:
        return 0
    told = set(
        Notification.objects.filter(kind=kind, subject=subject, day__in={o.day for o in owed}).values_list(
            "user_id", "day"
        )
    )
    rows = [
        Notification(
            user=o.user, day=o.day, kind=kind, subject=subject, data=o.data,
            next_attempt_at=release_at(o.user, now), created_at=now,
        )
        for o in owed
        if (o.user.pk, o.day) not in told
    ]  # fmt: skip
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=batch, ignore_conflicts=True)
        # Rows of this call: its moment and subject (a concurrent call's would have lost the key).
        created = list(
            Notification.objects.filter(kind=kind, subject=subject, created_at=now, status=Status.PENDING).values_list(
                "pk", "next_attempt_at"
            )
        )

        def deliver() -> None:
            for pk, due in created:
                enqueue_delivery(notification_id=pk, eta=due if due > now else None)

        transaction.on_commit(deliver, robust=True)
    return len(created)


@dataclass(frozen=True)
class SweepReport:
    requeued: list[int]
    gave_up: int
    purged: int = 0


# A row is what keeps a day's push single, but pushes are only ever queued for
# today and yesterday: a week later its day can never be queued again.
MIN_RETENTION = timedelta(days=7)
PURGE_BATCH = 5_000
FINISHED = (Status.SENT, Status.FAILED, Status.SKIPPED)


def purge_finished_notifications(*, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Deletes up to ``limit`` finished rows older than the retention
    (``NOTIFICATION_RETENTION_DAYS``); each sweep pass takes one batch, so a
    large backlog goes in short transactions. Pending rows are never deleted."""
    retention = max(timedelta(days=settings.NOTIFICATION_RETENTION_DAYS), MIN_RETENTION)
    ids = list(
        Notification.objects.filter(created_at__lt=now - retention, status__in=FINISHED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Notification.objects.filter(pk__in=ids).delete()
    return len(ids)


def sweep_notifications(*, now: datetime, limit: int = SWEEP_BATCH) -> SweepReport:
    """Re-queues pending rows nobody is working on: their task was lost, or their worker died;
    then purges a batch of finished rows past their retention.

    A row whose worker died on its last allowed attempt is marked failed.
    Safe to run anywhere, any number of times: the claim keeps a re-queued
    row from being sent twice.
    """
    unleased = lease_free | Q(leased_until__lte=now)
    gave_up = Notification.objects.filter(unleased, status=Status.PENDING, attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED,
        lease_token="",
        leased_until=None,
        last_error=f"Gave up after {MAX_ATTEMPTS} attempts; the last worker never reported back.",
    )
    due = list(
        Notification.objects.filter(unleased, status=Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in due:
        enqueue_delivery(notification_id=notification_id)
    purged = purge_finished_notifications(now=now)
    if due or gave_up or purged:
        logger.info("notification sweep: %d re-queued, %d given up, %d purged", len(due), gave_up, purged)
    return SweepReport(requeued=due, gave_up=gave_up, purged=purged)


def resend_notifications(*, notification_ids: Iterable[int], now: datetime) -> int:
    """Staff's "send again": the rows go back to pending with a clean slate and are queued.

    Rows a worker is sending right now are left alone. Returns how many were queued.
    """
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids))
            .exclude(status=Status.PENDING, leased_until__gt=now)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_token="",
            leased_until=None,
            last_error="",
            message_ids={},
            sent_at=None,
        )
        for notification_id in ids:
            transaction.on_commit(partial(enqueue_delivery, notification_id=notification_id), robust=True)
    return len(ids)
