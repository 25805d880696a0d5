"""Background work: thin wrappers over ``services`` and ``pushes``."""

from celery import shared_task
from django.utils import timezone

from . import pushes, services


@shared_task(ignore_result=True)
def sweep() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): freeze what is due, queue the pushes that fell due."""
    now = timezone.now()
    services.finalise_due(now=now)
    pushes.queue_due_pushes(now=now)
