"""The sweep: nothing stays pending because a worker died or a queued task was lost."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from notifications import tasks
from notifications.delivery import LEASE, MAX_ATTEMPTS
from notifications.models import Notification, Status
from notifications.services import SWEEP_GRACE, sweep_notifications
from pedometer_site.tests.servers import database_url_for_tests

from . import fake_fcm
from .builders import add_device, owed_push

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

# A worker that claims the row and is killed (SIGKILL) just before it calls FCM.
DOOMED_WORKER = """
import sys, time, django
django.setup()
from datetime import datetime
from notifications import delivery, fcm

def stuck(pushes):
    print("claimed", flush=True)
    time.sleep(60)

fcm.send_pushes = stuck
delivery.deliver_notification(notification_id=int(sys.argv[1]), now=datetime.fromisoformat(sys.argv[2]))
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_claim_and_send_leaves_the_row_to_the_sweep_which_delivers_it_once(fcm, inline_tasks):
    if connection.vendor != "mysql":
        pytest.skip("the doomed worker is a second process on the same MariaDB database")
    # The row falls due at NOW; queueing it runs its inline delivery at once (on commit), a
    # minute before that, so it claims nothing and the row is left to the doomed worker.
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        notification = owed_push(now=NOW)
        add_device(notification.user, now=NOW, token="phone")
    env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "DJANGO_SETTINGS_MODULE": "pedometer_site.settings"}
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", DOOMED_WORKER, str(notification.pk), NOW.isoformat()],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "claimed"
    finally:
        worker.kill()
        worker.wait(10)
        worker.stdout.close()

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.PENDING, 1)
    assert fcm.calls == []
    # While the dead worker's lease lasts, the sweep leaves the row alone...
    with time_machine.travel(NOW + LEASE - timedelta(seconds=1)):
        assert sweep_notifications(now=NOW + LEASE - timedelta(seconds=1)).requeued == []
    # ...then queues it; running twice sends nothing twice.
    later = NOW + LEASE + timedelta(seconds=1)
    with time_machine.travel(later):
        assert sweep_notifications(now=later).requeued == [notification.pk]
        assert sweep_notifications(now=later).requeued == []

    assert len(fcm.delivered_to("phone")) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.SENT, 2)


@pytest.mark.django_db
def test_a_row_whose_task_was_lost_is_queued_by_the_sweep_after_a_grace_period(fcm, inline_tasks):
    notification = owed_push(now=NOW)  # on_commit never ran here: as if the broker lost the message
    add_device(notification.user, now=NOW, token="phone")

    with time_machine.travel(NOW + SWEEP_GRACE - timedelta(seconds=1)):
        assert sweep_notifications(now=NOW + SWEEP_GRACE - timedelta(seconds=1)).requeued == []
    with time_machine.travel(NOW + SWEEP_GRACE):
        assert sweep_notifications(now=NOW + SWEEP_GRACE).requeued == [notification.pk]

    assert len(fcm.delivered_to("phone")) == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT


@pytest.mark.django_db
def test_inline_tasks_leave_a_retry_to_the_sweep_instead_of_looping(fcm, inline_tasks):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    fcm.fail("phone", *[fake_fcm.UNAVAILABLE] * 5)

    with time_machine.travel(NOW):
        tasks.deliver.delay(notification.pk)

    assert len(fcm.calls_to("phone")) == 5  # one attempt (firebase-admin's own retries), not six
    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    due = notification.next_attempt_at + SWEEP_GRACE
    with time_machine.travel(due):
        assert sweep_notifications(now=due).requeued == [notification.pk]
    assert len(fcm.delivered_to("phone")) == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT


@pytest.mark.django_db
def test_a_row_whose_worker_died_on_the_last_allowed_attempt_is_marked_failed(fcm, inline_tasks):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    type(notification).objects.filter(pk=notification.pk).update(
        attempts=MAX_ATTEMPTS, lease_token="dead", leased_until=NOW + LEASE
    )

    later = NOW + LEASE + timedelta(seconds=1)
    with time_machine.travel(later):
        report = sweep_notifications(now=later)

    assert (report.requeued, report.gave_up) == ([], 1)
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert "Gave up" in notification.last_error
    assert fcm.calls == []


@pytest.mark.django_db
def test_the_sweep_command_reports_what_it_did(fcm, inline_tasks, capsys):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")

    with time_machine.travel(NOW + timedelta(minutes=5)):
        call_command("sweep_notifications")

    assert "re-queued 1, gave up on 0, purged 0" in capsys.readouterr().out
    notification.refresh_from_db()
    assert notification.status == Status.SENT


@pytest.mark.django_db
def test_the_sweep_purges_finished_rows_past_their_retention_and_keeps_the_rest(settings, inline_tasks):
    settings.NOTIFICATION_RETENTION_DAYS = 30
    rows = {status: owed_push(now=NOW) for status in (Status.SENT, Status.FAILED, Status.SKIPPED, Status.PENDING)}
    for status, row in rows.items():
        type(row).objects.filter(pk=row.pk).update(status=status)
    recent = owed_push(now=NOW + timedelta(days=20))
    type(recent).objects.filter(pk=recent.pk).update(status=Status.SENT)
    later = NOW + timedelta(days=31)
    # Still owed, waiting for its next attempt (so this sweep does not deliver it).
    type(recent).objects.filter(pk=rows[Status.PENDING].pk).update(next_attempt_at=later + timedelta(minutes=5))

    with time_machine.travel(later):
        report = sweep_notifications(now=later)

    assert report.purged == 3
    left = set(Notification.objects.values_list("pk", flat=True))
    assert left == {rows[Status.PENDING].pk, recent.pk}  # a pending row is owed, whatever its age


@pytest.mark.django_db
def test_a_retention_below_a_week_is_raised_to_a_week(settings, inline_tasks):
    """Rows of today and yesterday are what keep a second push for those days out."""
    settings.NOTIFICATION_RETENTION_DAYS = 0
    row = owed_push(now=NOW)
    type(row).objects.filter(pk=row.pk).update(status=Status.SENT)

    with time_machine.travel(NOW + timedelta(days=2)):
        assert sweep_notifications(now=NOW + timedelta(days=2)).purged == 0
    with time_machine.travel(NOW + timedelta(days=8)):
        assert sweep_notifications(now=NOW + timedelta(days=8)).purged == 1
