"""The challenges sweep, by hand or as a loop (the same work as the beat task):
freezes challenges past their grace window, queues the pushes that fell due
(challenge starts, streak at risk, pushes held back by quiet hours).

    python manage.py challenges_sweep             # one pass (cron, or by hand)
    python manage.py challenges_sweep --every 60  # keep sweeping every 60 s

Any number may run: a challenge freezes once (its row lock), a push is owed once (the outbox's key).
"""

from __future__ import annotations

from django.utils import timezone

from challenges import pushes, services
from infrastructure.sweeps import SweepCommand


class Command(SweepCommand):
    help = "Finalise challenges past their grace window and queue challenge pushes that are due."

    def sweep_once(self) -> None:
        now = timezone.now()
        finalised = services.finalise_due(now=now)
        queued = pushes.queue_due_pushes(now=now)
        self.stdout.write(f"finalised {len(finalised)} challenge(s), queued {queued} push(es)")
