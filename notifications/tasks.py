"""Background work: thin wrappers over ``delivery``, and the one way work is handed to the queue."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import current_app, shared_task
from django.utils import timezone

from .delivery import deliver_notification

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def deliver(notification_id: int) -> None:
    """Sends one outbox row; on a transient failure, queues the retry for its backoff time."""
    report = deliver_notification(notification_id=notification_id, now=timezone.now())
    if report.retry_at is not None:
        enqueue_delivery(notification_id=notification_id, eta=report.retry_at)


def enqueue_delivery(*, notification_id: int, eta: datetime | None = None) -> None:
    """Hands a row to the task queue (inline in the embedded default).

    Never raises: if the broker is down the row stays pending and the sweep
    queues it later, so the steps that earned it are never refused over it.
    """
    if eta is not None and current_app.conf.task_always_eager:
        return  # inline mode has no timer to wait for the ETA: the sweep retries the row
    try:
        deliver.apply_async((notification_id,), eta=eta, retry=False)  # type: ignore[arg-type]  # None: no ETA (celery-types says datetime)
    except Exception:
        logger.warning("could not queue notification %s; the sweep will", notification_id, exc_info=True)
