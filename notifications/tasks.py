"""Background work: thin wrappers over ``services``."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(ignore_result=True)
def deliver(notification_id: int) -> None:
    """Sends one outbox row; on a transient failure, queues the retry for its backoff time."""
    report = services.deliver_notification(notification_id=notification_id, now=timezone.now())
    if report.retry_at is not None:
        services.enqueue_delivery(notification_id=notification_id, eta=report.retry_at)
