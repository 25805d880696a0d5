"""Property tests: whatever syncs arrive, in whatever order, duplicated or
concurrent, the stored counts are the per-key maxima, and no day counts less
than its hours."""

import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pedometer_site.tests.testing import make_user
from steps.models import DailySteps, DayTotal, HourlySteps
from steps.services import FLAG_DAILY_ABOVE, DaySample, HourSample, record_steps

NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
DAYS = [date(2026, 11, 25) - timedelta(days=n) for n in range(3)]
SOURCES = ["phone", "watch"]

day_samples = st.builds(DaySample, day=st.sampled_from(DAYS), steps=st.integers(0, 100_000))
hour_samples = st.builds(
    HourSample,
    start=st.builds(
        lambda day, hour: datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        st.sampled_from(DAYS),
        st.integers(0, 23),
    ),
    # At most 4,000 an hour: a day's 24 hours stay within the 100,000 a day can hold.
    steps=st.integers(0, 4_000),
)
syncs = st.lists(
    st.tuples(
        st.sampled_from(SOURCES),
        st.lists(day_samples, max_size=4),
        st.lists(hour_samples, max_size=6),
    ),
    min_size=1,
    max_size=8,
)


def expected_counts(batch):
    days: dict = defaultdict(int)
    hours: dict = defaultdict(int)
    for source, day_list, hour_list in batch:
        for sample in day_list:
            days[sample.day, source] = max(days[sample.day, source], sample.steps)
        for sample in hour_list:
            hours[sample.start, source] = max(hours[sample.start, source], sample.steps)
    for start, source in hours:
        days.setdefault((start.date(), source), 0)
    daily = {
        key: max(steps, sum(v for (start, src), v in hours.items() if src == key[1] and start.date() == key[0]))
        for key, steps in days.items()
    }
    totals: dict = defaultdict(int)
    for (day, _), steps in daily.items():
        # Nothing is reviewed here: a day above the review threshold counts at it.
        totals[day] = max(totals[day], min(steps, FLAG_DAILY_ABOVE))
    return daily, dict(hours), dict(totals)


def stored_counts(user):
    daily = {(r.day, r.source): r.steps for r in DailySteps.objects.filter(user=user)}
    hours = {(r.hour_start, r.source): r.steps for r in HourlySteps.objects.filter(user=user)}
    totals = {r.day: r.steps for r in DayTotal.objects.filter(user=user)}
    return daily, hours, totals


def apply(user, batch):
    for source, day_list, hour_list in batch:
        record_steps(user=user, days=day_list, hours=hour_list, source=source, now=NOW)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=syncs, order=st.randoms(use_true_random=False))
def test_any_order_with_duplicates_stores_the_maxima(batch, order):
    user = make_user(timezone="UTC")
    replayed = batch + batch[: len(batch) // 2]  # retries
    order.shuffle(replayed)
    apply(user, replayed)
    assert stored_counts(user) == expected_counts(batch)
    daily, hours, _ = stored_counts(user)
    for (day, source), steps in daily.items():
        assert steps >= sum(v for (start, src), v in hours.items() if src == source and start.date() == day)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=syncs)
def test_concurrent_syncs_store_the_maxima(batch):
    user = make_user(timezone="UTC")
    errors = []

    def run(item):
        try:
            apply(user, [item])
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in batch]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored_counts(user) == expected_counts(batch)
