"""Pushes are counted where they are sent, in the Celery worker's pool
processes, and the worker serves those counts to Prometheus (the push
alerts in deploy/prometheus/alerts.yml depend on them)."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import Notification, Status
from notifications.tasks import enqueue_delivery
from pedometer_site.celery import app as celery_app
from pedometer_site.tests.servers import database_url_for_tests, free_port

from .builders import add_device, owed_push

# A real `celery worker` with a prefork pool of two processes. Google's
# endpoints are faked at the HTTP boundary before the pool forks, so each
# pool process sends through the real firebase-admin code.
WORKER = """
import sys
import responses
from notifications.tests import fake_fcm

mock = responses.RequestsMock(assert_all_requests_are_fired=False)
mock.start()
fake_fcm.install(mock)

from celery.__main__ import main
sys.argv = ["celery", "-A", "pedometer_site", "worker", "--pool", "prefork", "--concurrency", "2",
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
main()
"""


def metric(port: int, name: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else None


@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_serves_the_push_counts_of_all_its_processes(service_account_file, broker, tmp_path):
    if connection.vendor != "mysql" or not settings.REDIS_URL:
        pytest.skip("a worker process on MariaDB and the Redis broker (make test)")
    port = free_port()
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "FIREBASE_CREDENTIALS": service_account_file,
        "CELERY_TASK_ALWAYS_EAGER": "false",  # the worker's own setting: it runs what it takes
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
        "WORKER_METRICS_PORT": str(port),
    }
    broker(settings.REDIS_URL)
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    now = timezone.now()
    rows = []
    for n in range(6):
        row = owed_push(now=now)
        add_device(row.user, now=now, token=f"phone-{n}")
        rows.append(row.pk)

    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would stall the worker
    with log.open("w") as output:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WORKER], cwd=Path(settings.BASE_DIR), env=env, stdout=output, stderr=output
        )
    try:
        for notification_id in rows:
            enqueue_delivery(notification_id=notification_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Notification.objects.filter(status=Status.PENDING).exists():
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
        assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}

        assert metric(port, "pedometer_notifications_sent_total") == len(rows)
        assert metric(port, "pedometer_notifications_failed_total") == 0
        counted_by = {path.name for path in multiproc_dir.glob("counter_*.db")}
        assert len(counted_by) >= 2  # the pool's processes, summed by the one endpoint
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
