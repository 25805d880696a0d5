"""Sending one outbox row: claim it with a lease, push to each device owed
it (FCM, no transaction open), write the outcome if the lease still holds.
A worker runs this (``tasks.deliver``); ``services`` owns the rest of the
row's life."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q

from accounts.devices_selectors import active_devices_of
from accounts.devices_services import device_deactivate
from accounts.models import Device

from . import fcm
from .models import Notification, Status
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
# Workers' clocks may run a little behind the one that set an ETA.
CLOCK_SKEW = timedelta(seconds=5)

lease_free = Q(leased_until__isnull=True)


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
        lease_free | Q(leased_until__lte=now),
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
        # The user's setting wins over the device's locale (select_related: no query).
        language=notification.user.language,
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
