"""Workers racing over the same outbox: every row is delivered, none twice."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications import tasks
from notifications.models import Notification, Status
from notifications.services import sweep_notifications

from . import fake_fcm
from .builders import add_device, owed_push

ROWS = 30


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_sweep_given_every_row_twice_deliver_each_exactly_once(fcm):
    # Queued a minute ago and never sent: the sweep sees them too.
    queued_at = timezone.now() - timedelta(minutes=1)
    rows = []
    for n in range(ROWS):
        notification = owed_push(now=queued_at)
        add_device(notification.user, now=queued_at, token=f"phone-{n}")
        rows.append(notification.pk)
    # A few tokens need firebase-admin's own retry, so sends overlap in time.
    for n in range(0, ROWS, 5):
        fcm.fail(f"phone-{n}", fake_fcm.UNAVAILABLE)

    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker(order: list[int]) -> None:
        try:
            start.wait(10)
            for notification_id in order:
                tasks.deliver(notification_id)  # the task body, as a Celery worker runs it
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def sweeper() -> None:
        try:
            start.wait(10)
            for _ in range(3):
                for notification_id in sweep_notifications(now=timezone.now()).requeued:
                    tasks.deliver(notification_id)  # what the queued task would do
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    shuffled = rows[:]
    random.Random(6).shuffle(shuffled)
    threads = [
        threading.Thread(target=worker, args=(rows,)),
        threading.Thread(target=worker, args=(shuffled,)),
        threading.Thread(target=sweeper),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    delivered = sorted(message["token"] for message in fcm.delivered)
    assert delivered == sorted(f"phone-{n}" for n in range(ROWS))
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
