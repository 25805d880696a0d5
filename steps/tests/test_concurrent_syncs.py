"""A crowd of phones and watches syncing overlapping weeks at once: no 5xx,
and every count a device saw acknowledged is stored. On MariaDB, concurrent
upserts into the same indexes deadlock now and then; a sync that hits one is
run again (it is idempotent), so the phone never sees it."""

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from pedometer_site.tests.testing import client_for, make_user
from steps.models import DailySteps, DayTotal, HourlySteps

THREADS = 32
ROUNDS = 3


def week_of_hours(start: datetime, steps: int) -> list[dict]:
    return [{"start": (start + timedelta(hours=h)).isoformat(), "steps": steps + h % 7} for h in range(7 * 24)]


@pytest.mark.django_db(transaction=True)
def test_32_devices_syncing_overlapping_weeks_of_hours_get_no_5xx_and_lose_nothing(settings):
    if connection.vendor != "mysql":
        pytest.skip("lock contention is MariaDB's; SQLite takes one writer at a time")
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sync_user": None},
    }
    users = [make_user(timezone="UTC") for _ in range(THREADS // 2)]
    # Each account has a phone and a watch; the weeks of neighbouring threads overlap.
    first = (timezone.now() - timedelta(days=9)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    devices = [(users[n // 2], "phone" if n % 2 else "watch", first + timedelta(days=n % 3)) for n in range(THREADS)]
    acked: dict[tuple[int, str, object], int] = defaultdict(int)
    answers: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def device(user, source, week_start):
        client = client_for(user)
        start.wait()
        try:
            for round_ in range(ROUNDS):
                steps = 100 * (round_ + 1)
                days = [
                    {"date": (week_start + timedelta(days=d)).date().isoformat(), "steps": steps * 30} for d in range(7)
                ]
                response = client.post(
                    "/api/v1/steps/sync",
                    {"source": source, "days": days, "hours": week_of_hours(week_start, steps)},
                    format="json",
                )
                with lock:
                    answers.append(response.status_code)
                    if response.status_code == 200:
                        for item in days:
                            key = (user.pk, source, item["date"])
                            acked[key] = max(acked[key], item["steps"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=device, args=args) for args in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(answers) == THREADS * ROUNDS
    assert [code for code in answers if code >= 500] == []
    assert set(answers) == {200}
    stored = {
        (row.user_id, row.source, row.day.isoformat()): row.steps for row in DailySteps.objects.filter(user__in=users)
    }
    assert {key: steps for key, steps in acked.items() if stored.get(key, -1) < steps} == {}
    # The totals are the highest device's, and every hour of the last round is there.
    for user in users:
        for total in DayTotal.objects.filter(user=user):
            assert total.steps == max(
                steps for (pk, _, day), steps in stored.items() if pk == user.pk and day == total.day.isoformat()
            )
    assert HourlySteps.objects.filter(user__in=users).count() == len(
        {(user.pk, source, week_start + timedelta(hours=h)) for user, source, week_start in devices for h in range(168)}
    )


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_waits_out_a_lock_is_a_503_with_retry_after_and_stores_nothing():
    if connection.vendor != "mysql":
        pytest.skip("needs InnoDB's lock wait timeout")
    user = make_user(timezone="UTC")
    phone = client_for(user)
    today = timezone.now().astimezone(UTC).date().isoformat()
    holder_ready, release = threading.Event(), threading.Event()

    def hold_the_users_row_lock():
        # Another connection: a staff tool or a stuck sync holding this user's lock.
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [user.pk])
            holder_ready.set()
            release.wait(30)
            cursor.execute("ROLLBACK")
        connections.close_all()

    holder = threading.Thread(target=hold_the_users_row_lock)
    holder.start()
    holder_ready.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        response = phone.post("/api/v1/steps/sync", {"days": [{"date": today, "steps": 500}]}, format="json")
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"] == {
        "code": "database_busy",
        "message": "Too many changes at once. Please retry shortly.",
        "retry_after": 1,
    }
    assert not DayTotal.objects.filter(user=user).exists()
    # Once the lock is free, the same sync goes through.
    assert (
        client_for(user)
        .post("/api/v1/steps/sync", {"days": [{"date": today, "steps": 500}]}, format="json")
        .status_code
        == 200
    )
