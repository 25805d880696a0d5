import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.db import connection

from pedometer_site.tests.testing import make_user
from steps.models import DailySteps, DayTotal, HourlySteps
from steps.services import DaySample, HourSample, StepsValidationError, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def total(user, day=TODAY) -> int:
    return DayTotal.objects.get(user=user, day=day).steps


@pytest.mark.django_db
def test_first_sync_stores_the_day_and_reports_the_change():
    user = make_user()
    (change,) = record_steps(user=user, days=[DaySample(TODAY, 4200)], now=NOW)
    assert (change.day, change.old_total, change.new_total) == (TODAY, 0, 4200)
    assert total(user) == 4200


@pytest.mark.django_db
def test_lower_count_never_replaces_higher():
    user = make_user()
    record_steps(user=user, days=[DaySample(TODAY, 5000)], now=NOW)
    (change,) = record_steps(user=user, days=[DaySample(TODAY, 3000)], now=NOW)
    assert not change.changed
    assert total(user) == 5000
    assert DailySteps.objects.get(user=user).steps == 5000


@pytest.mark.django_db
def test_retried_sync_changes_nothing():
    user = make_user()
    record_steps(user=user, days=[DaySample(TODAY, 5000)], now=NOW)
    (change,) = record_steps(user=user, days=[DaySample(TODAY, 5000)], now=NOW + timedelta(minutes=5))
    assert not change.changed
    assert DayTotal.objects.get(user=user).reached_at == NOW


@pytest.mark.django_db
def test_two_phones_on_the_same_walk_never_double_count():
    user = make_user()
    record_steps(user=user, days=[DaySample(TODAY, 6000)], source="iphone", now=NOW)
    record_steps(user=user, days=[DaySample(TODAY, 5500)], source="watch", now=NOW)
    assert total(user) == 6000
    record_steps(user=user, days=[DaySample(TODAY, 7000)], source="watch", now=NOW)
    assert total(user) == 7000


@pytest.mark.django_db
def test_day_is_never_below_the_sum_of_its_hours():
    user = make_user()
    record_steps(user=user, days=[DaySample(TODAY, 1000)], now=NOW)
    hours = [HourSample(datetime(2026, 11, 25, h, tzinfo=UTC), 800) for h in (8, 9, 10)]
    (change,) = record_steps(user=user, hours=hours, now=NOW)
    assert change.new_total == 2400
    assert HourlySteps.objects.filter(user=user).count() == 3


@pytest.mark.django_db
def test_a_bad_item_rejects_the_whole_sync():
    user = make_user()
    with pytest.raises(StepsValidationError) as raised:
        record_steps(user=user, days=[DaySample(TODAY, 100), DaySample(TODAY - timedelta(days=1), 100_001)], now=NOW)
    assert raised.value.fields == {"days": {"1": {"steps": ["Must be between 0 and 100,000."]}}}
    assert not DailySteps.objects.exists()


@pytest.mark.django_db
def test_an_hour_must_start_on_the_hour_at_its_own_offset_whatever_the_profile_zone():
    user = make_user(timezone="Asia/Kolkata")  # UTC+05:30
    kolkata = timezone(timedelta(hours=5, minutes=30))
    with pytest.raises(StepsValidationError) as raised:
        record_steps(user=user, hours=[HourSample(datetime(2026, 11, 25, 8, 30, tzinfo=kolkata), 10)], now=NOW)
    assert "start" in raised.value.fields["hours"]["0"]
    record_steps(user=user, hours=[HourSample(datetime(2026, 11, 25, 8, tzinfo=kolkata), 10)], now=NOW)
    record_steps(user=user, hours=[HourSample(datetime(2026, 11, 25, 8, tzinfo=UTC), 10)], now=NOW)  # a trip to UTC


@pytest.mark.django_db(transaction=True)
def test_racing_syncs_end_at_the_larger_value():
    """Real threads, real MariaDB connections, the same key: the maximum wins."""
    user = make_user()
    values = list(range(1000, 21000, 1000))
    barrier = threading.Barrier(len(values))
    failures = []

    def sync(steps: int) -> None:
        try:
            barrier.wait()
            record_steps(user=user, days=[DaySample(TODAY, steps)], source=f"phone{steps % 3}", now=NOW)
        except Exception as exc:  # surfaced below; a thread cannot fail the test by itself
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert total(user) == max(values)
    assert DailySteps.objects.filter(user=user).count() == 3


@pytest.mark.django_db
def test_a_later_sync_keeps_when_the_record_was_created_and_its_flag():
    user = make_user()
    record_steps(user=user, days=[DaySample(TODAY, 60_000)], now=NOW)
    later = NOW + timedelta(hours=2)
    record_steps(user=user, days=[DaySample(TODAY, 60_000, distance_m=40_000)], now=later)
    row = DailySteps.objects.get(user=user)
    assert (row.created_at, row.updated_at) == (NOW, later)
    assert (row.distance_m, row.flagged) == (40_000, True)
    hour = datetime(2026, 11, 25, 9, tzinfo=UTC)
    record_steps(user=user, hours=[HourSample(hour, 100)], now=NOW)
    record_steps(user=user, hours=[HourSample(hour, 200)], now=later)
    assert HourlySteps.objects.values_list("steps", "created_at", "updated_at").get() == (200, NOW, later)
