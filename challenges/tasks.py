"""Background work: thin wrappers over ``services`` and ``pushes``."""

import contextlib

from celery import shared_task
from django.utils import timezone

from . import pushes, services


@shared_task(ignore_result=True)
def sweep() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): freeze what is due, queue the pushes that fell due."""
    now = timezone.now()
    services.finalise_due(now=now)
    pushes.queue_due_pushes(now=now)


@shared_task(ignore_result=True, name="challenges.tasks.rebuild_board_task")
def rebuild_board_task(challenge_id: int) -> None:
    """A large board the index lost, rebuilt from MySQL while SQL answers it."""
    from .board_index import IndexUnavailable
    from .board_services import rebuild
    from .models import Challenge

    challenge = Challenge.objects.filter(pk=challenge_id, finalised_at__isnull=True).first()
    if challenge is None:
        return
    with contextlib.suppress(IndexUnavailable):  # Redis is down: the next read asks again
        rebuild(challenge=challenge)
