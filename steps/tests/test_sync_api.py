"""POST /api/v1/steps/sync: what a phone sees when it syncs."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.models import DailySteps, DayTotal, HourlySteps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
URL = "/api/v1/steps/sync"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def sync(client, days=(), hours=None, source=None):
    body: dict = {"days": list(days)}
    if hours is not None:
        body["hours"] = hours
    if source is not None:
        body["source"] = source
    return client.post(URL, body, format="json")


def day(when: date, steps: int, **extra) -> dict:
    return {"date": when.isoformat(), "steps": steps, **extra}


@pytest.mark.django_db
def test_sync_answers_each_day_with_the_stored_total_and_the_goal():
    user = make_user(daily_goal=8000)
    response = sync(client_for(user), [day(TODAY, 8500), day(TODAY - timedelta(days=1), 3000)])
    assert response.status_code == 200
    assert response.json() == {
        "days": [
            {"date": "2026-11-24", "steps": 3000, "goal": 8000, "goal_reached": False},
            {"date": "2026-11-25", "steps": 8500, "goal": 8000, "goal_reached": True},
        ]
    }


@pytest.mark.django_db
def test_lower_count_never_replaces_higher_through_the_api():
    user = make_user()
    client = client_for(user)
    sync(client, [day(TODAY, 6000)])
    response = sync(client, [day(TODAY, 2000)])
    assert response.json()["days"][0]["steps"] == 6000
    assert DayTotal.objects.get(user=user, day=TODAY).steps == 6000


@pytest.mark.django_db
def test_a_retried_sync_is_answered_the_same_and_stores_nothing_twice():
    user = make_user()
    client = client_for(user)
    first = sync(client, [day(TODAY, 4321, distance_m=3000, floors=2)])
    second = sync(client, [day(TODAY, 4321, distance_m=3000, floors=2)])
    assert first.json() == second.json()
    assert DailySteps.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_the_day_total_is_the_maximum_over_devices():
    user = make_user()
    client = client_for(user)
    sync(client, [day(TODAY, 7000)], source="iphone")
    response = sync(client, [day(TODAY, 6500)], source="watch")
    assert response.json()["days"][0]["steps"] == 7000
    response = sync(client, [day(TODAY, 9000)], source="watch")
    assert response.json()["days"][0]["steps"] == 9000
    assert sorted(DailySteps.objects.filter(user=user).values_list("source", "steps")) == [
        ("iphone", 7000),
        ("watch", 9000),
    ]


@pytest.mark.django_db
def test_a_sync_without_source_is_stored_as_the_default_device():
    user = make_user()
    sync(client_for(user), [day(TODAY, 10)])
    assert DailySteps.objects.get(user=user).source == "default"


@pytest.mark.django_db
def test_backfill_of_a_day_thirty_days_ago_is_accepted():
    user = make_user()
    oldest = TODAY - timedelta(days=30)
    response = sync(client_for(user), [day(oldest, 12000)])
    assert response.status_code == 200
    assert DayTotal.objects.get(user=user, day=oldest).steps == 12000


@pytest.mark.django_db
def test_hours_raise_the_day_to_their_sum():
    user = make_user()
    hours = [{"start": f"2026-11-25T{h:02d}:00:00Z", "steps": 1500} for h in (7, 8, 9)]
    response = sync(client_for(user), [day(TODAY, 1000)], hours=hours)
    assert response.json()["days"][0]["steps"] == 4500
    assert HourlySteps.objects.filter(user=user).count() == 3


@pytest.mark.django_db
def test_hours_alone_create_their_day():
    user = make_user(timezone="Asia/Seoul")  # 15:00 UTC is already tomorrow's 00:00 in Seoul
    response = sync(client_for(user), hours=[{"start": "2026-11-26T00:00:00+09:00", "steps": 300}])
    assert response.json()["days"] == [{"date": "2026-11-26", "steps": 300, "goal": 10000, "goal_reached": False}]


@pytest.mark.django_db
def test_an_hourly_count_lower_than_stored_changes_nothing():
    user = make_user()
    client = client_for(user)
    sync(client, hours=[{"start": "2026-11-25T08:00:00Z", "steps": 900}])
    sync(client, hours=[{"start": "2026-11-25T08:00:00+00:00", "steps": 200}])
    assert HourlySteps.objects.get(user=user).steps == 900


@pytest.mark.django_db
def test_sync_needs_a_signed_in_user(api):
    response = sync(api, [day(TODAY, 10)])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
