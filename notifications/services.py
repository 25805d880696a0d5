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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from accounts.devices_selectors import active_devices_of
from accounts.devices_services import device_deactivate
from accounts.models import Device, User
from steps.local_days import local_today

from . import fcm
from .models import Kind, Notification, Status
from .quiet_hours import release_at
from .texts import text_for

logger = logging.getLogger(__name__)

# Transient failures are retried after 1, 2, 4, 8, 16 minutes; the sixth failure is final.
MAX_ATTEMPTS = 6
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(minutes=30)
# How long a claim lasts. Longer than one send can take (firebase-admin's HTTP
# timeout is 120 s, and it retries once on a read error): a lease that runs out
# while its worker is still sending would let a second worker send again.
LEASE = timedelta(minutes=10)
# The sweep leaves a due row alone this long, so the task already queued for it
# (on commit, or with a retry's ETA) gets there first.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 1000
# Workers' clocks may run a little behind the one that set an ETA.
CLOCK_SKEW = timedelta(seconds=5)

_lease_free = Q(leased_until__isnull=True)


def queue_goal_notification(*, user: User, day: date, steps: int, now: datetime) -> None:
    """Owes ``user`` one "goal reached" push for ``day``, once.

    Called by ``steps.services.record_steps`` inside its transaction whenever a
    day's total went up. Only the user's local today and yesterday (a late
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


def enqueue_delivery(*, notification_id: int, eta: datetime | None = None) -> None:
    """Hands a row to the task queue (inline in the embedded default).

    Never raises: if the broker is down the row stays pending and the sweep
    queues it later, so the steps that earned it are never refused over it.
    """
    from . import tasks  # tasks import this module

    if eta is not None and current_app.conf.task_always_eager:
        return  # inline mode has no timer to wait for the ETA: the sweep retries the row
    try:
        tasks.deliver.apply_async((notification_id,), eta=eta, retry=False)
    except Exception:
        logger.warning("could not queue notification %s; the sweep will", notification_id, exc_info=True)


@dataclass(frozen=True)
class DeliveryReport:
    claimed: bool
    status: str | None = None
    retry_at: datetime | None = None


def deliver_notification(*, notification_id: int, now: datetime) -> DeliveryReport:
    """Claims one due row and pushes it to each of the user's active devices still owed it.

    Call it with no transaction open: the claim must commit before FCM is
    called. Returns what happened; ``retry_at`` is set when a transient error
    left devices owed.
    """
    lease = _claim(notification_id=notification_id, now=now)
    if lease is None:
        return DeliveryReport(claimed=False)
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:  # the account was deleted just now
        return DeliveryReport(claimed=False)
    message_ids = dict(notification.message_ids)
    owed = [device for device in active_devices_of(user=notification.user) if str(device.uuid) not in message_ids]

    results = fcm.send_pushes([_push(notification, device) for device in owed])

    retry_errors: list[str] = []
    gone_errors: list[str] = []
    for device, result in zip(owed, results, strict=True):
        if result.outcome is fcm.Outcome.SENT:
            message_ids[str(device.uuid)] = result.message_id
        elif result.outcome is fcm.Outcome.GONE:
            device_deactivate(device=device, reason=f"fcm: {result.error.split(':')[0]}")
            gone_errors.append(f"{device.uuid}: {result.error}")
        else:
            retry_errors.append(f"{device.uuid}: {result.error}")

    outcome: dict = {"message_ids": message_ids, "last_error": "\n".join(retry_errors + gone_errors)}
    retry_at = None
    if retry_errors and notification.attempts < MAX_ATTEMPTS:
        retry_at = now + backoff(attempts=notification.attempts)
        outcome.update(status=Status.PENDING, next_attempt_at=retry_at)
    elif retry_errors:
        outcome.update(status=Status.FAILED)
    elif message_ids:
        outcome.update(status=Status.SENT, sent_at=now)
    elif gone_errors:
        outcome.update(status=Status.FAILED)
    else:
        outcome.update(status=Status.SKIPPED)

    written = Notification.objects.filter(pk=notification_id, lease_token=lease).update(
        lease_token="", leased_until=None, **outcome
    )
    if not written:
        logger.warning("notification %s: lease ran out during the send; another worker took it over", notification_id)
    return DeliveryReport(claimed=True, status=outcome["status"], retry_at=retry_at)


def backoff(*, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling, capped."""
    return min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)


def _claim(*, notification_id: int, now: datetime) -> str | None:
    """Takes the row for this worker if it is due and nobody holds it; the lease token, or None.

    One conditional UPDATE: of two workers racing for a row, the second waits
    on the row lock, then finds the lease taken and changes nothing.
    """
    lease = uuid.uuid4().hex
    claimed = Notification.objects.filter(
        _lease_free | Q(leased_until__lte=now),
        pk=notification_id,
        status=Status.PENDING,
        next_attempt_at__lte=now + CLOCK_SKEW,
        attempts__lt=MAX_ATTEMPTS,
    ).update(lease_token=lease, leased_until=now + LEASE, attempts=F("attempts") + 1)
    return lease if claimed else None


def _push(notification: Notification, device: Device) -> fcm.Push:
    text = text_for(
        kind=notification.kind,
        locale=device.locale,
        steps=notification.steps,
        goal=notification.goal,
        data=notification.data,
    )
    day = notification.day.isoformat()
    data = {"kind": notification.kind, "day": day, "steps": str(notification.steps), "goal": str(notification.goal)}
    if notification.subject:
        data["subject"] = notification.subject
        data.update({key: str(value) for key, value in notification.data.items()})
    suffix = f"-{notification.subject}" if notification.subject else ""
    return fcm.Push(
        token=device.token,
        title=text.title,
        body=text.body,
        data=data,
        collapse_key=f"{notification.kind}-{day}{suffix}",
    )


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
    unleased = _lease_free | Q(leased_until__lte=now)
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
