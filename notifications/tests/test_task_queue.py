"""Delivery through the real task queue: Celery on the Redis broker, and the broker being down."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, Status
from notifications.services import SWEEP_GRACE, queue_goal_notification, sweep_notifications
from notifications.tasks import enqueue_delivery
from pedometer_site.celery import app as celery_app
from pedometer_site.tests.testing import make_user

from .builders import add_device, local_day, owed_push


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_on_redis_delivers_each_row_once_even_when_its_task_is_queued_twice(fcm, broker, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs the Redis broker (make test sets REDIS_URL)")
    broker(settings.REDIS_URL)
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")

    def queued_messages() -> int:
        with celery_app.connection_for_write() as conn:
            return conn.default_channel.client.llen("celery")

    now = timezone.now()
    rows = []
    for n in range(5):
        notification = owed_push(now=now)
        add_device(notification.user, now=now, token=f"phone-{n}")
        rows.append(notification.pk)
    for notification_id in rows + rows:  # a duplicate message per row, as a redelivery or the sweep would make
        enqueue_delivery(notification_id=notification_id)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert queued_messages() > 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            queued_messages() or Notification.objects.filter(status=Status.PENDING).exists()
        ):
            time.sleep(0.1)
        time.sleep(0.3)  # the last message taken is being run

    assert queued_messages() == 0

    assert sorted(m["token"] for m in fcm.delivered) == [f"phone-{n}" for n in range(5)]
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_steps_still_commit_and_the_sweep_sends_the_push_later(fcm, broker, caplog):
    broker("redis://127.0.0.1:1/0")  # nothing listens there
    now = timezone.now()
    user = make_user(password=None)
    add_device(user, now=now, token="phone")

    started = time.monotonic()
    with transaction.atomic():
        queue_goal_notification(user=user, day=local_day(user, now), steps=10_001, now=now)
    waited = time.monotonic() - started

    assert waited < 2  # the caller is not held up for long by the dead broker
    assert "could not queue notification" in caplog.text
    row = Notification.objects.get(user=user)
    assert row.status == Status.PENDING

    celery_app.conf.task_always_eager = True  # the broker is back (inline, for the test)
    later = now + SWEEP_GRACE + timedelta(seconds=1)
    assert row.pk in sweep_notifications(now=later).requeued
    assert len(fcm.delivered_to("phone")) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT
