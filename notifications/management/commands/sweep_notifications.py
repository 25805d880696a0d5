"""The outbox sweep: re-queues pushes whose task was lost or whose worker died,
and deletes finished rows past ``NOTIFICATION_RETENTION_DAYS``.

    python manage.py sweep_notifications             # one pass (cron, or by hand)
    python manage.py sweep_notifications --every 30  # keep sweeping every 30 s

Any number may run: a re-queued row is still claimed by one worker only.
"""

from __future__ import annotations

from django.utils import timezone

from infrastructure.sweeps import SweepCommand
from notifications.services import sweep_notifications


class Command(SweepCommand):
    help = "Re-queue pending notifications nobody is delivering (lost task, dead worker); purge old finished ones."

    def sweep_once(self) -> None:
        report = sweep_notifications(now=timezone.now())
        self.stdout.write(f"re-queued {len(report.requeued)}, gave up on {report.gave_up}, purged {report.purged}")
