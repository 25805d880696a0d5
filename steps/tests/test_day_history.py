"""GET /api/v1/steps/days: a range of the user's local days."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
URL = "/api/v1/steps/days"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def walked(user, *days: tuple[date, int], source: str = "default") -> None:
    record_steps(user=user, days=[DaySample(d, s) for d, s in days], source=source, now=NOW, max_age_days=None)


@pytest.mark.django_db
def test_every_day_of_the_range_is_listed_with_null_where_nothing_was_synced():
    user = make_user(daily_goal=5000)
    walked(user, (date(2026, 11, 20), 6000), (date(2026, 11, 22), 100), (date(2026, 11, 23), 0))
    response = client_for(user).get(URL, {"from": "2026-11-20", "to": "2026-11-23"})
    assert response.status_code == 200
    assert response.json() == {
        "from": "2026-11-20",
        "to": "2026-11-23",
        "goal": 5000,
        "days": [
            {"date": "2026-11-20", "steps": 6000, "goal": 5000, "goal_reached": True},
            {"date": "2026-11-21", "steps": None, "goal": 5000, "goal_reached": None},  # no data
            {"date": "2026-11-22", "steps": 100, "goal": 5000, "goal_reached": False},
            {"date": "2026-11-23", "steps": 0, "goal": 5000, "goal_reached": False},  # synced as 0
        ],
    }


@pytest.mark.django_db
def test_without_a_range_it_lists_the_thirty_days_ending_on_the_users_today():
    user = make_user(timezone="Pacific/Kiritimati")  # UTC+14: already the 26th
    walked(user, (date(2026, 11, 26), 700))
    body = client_for(user).get(URL).json()
    assert (body["from"], body["to"], len(body["days"])) == ("2026-10-28", "2026-11-26", 30)
    assert body["days"][-1] == {"date": "2026-11-26", "steps": 700, "goal": 10_000, "goal_reached": False}


@pytest.mark.django_db
def test_from_alone_lists_thirty_days_from_it():
    body = client_for(make_user()).get(URL, {"from": "2026-01-01"}).json()
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-01-30")


@pytest.mark.django_db
def test_the_day_total_is_the_maximum_over_devices_not_the_sum():
    user = make_user()
    walked(user, (TODAY, 4000), source="phone")
    walked(user, (TODAY, 3000), source="watch")
    body = client_for(user).get(URL, {"from": "2026-11-25", "to": "2026-11-25"}).json()
    assert body["days"] == [{"date": "2026-11-25", "steps": 4000, "goal": 10_000, "goal_reached": False}]


@pytest.mark.django_db
def test_only_the_callers_own_steps_are_listed():
    me, other = make_user(), make_user()
    walked(other, (TODAY, 9000))
    body = client_for(me).get(URL, {"from": "2026-11-25", "to": "2026-11-25"}).json()
    assert body["days"][0]["steps"] is None


@pytest.mark.django_db
def test_a_range_of_366_days_is_allowed_and_367_refused():
    client = client_for(make_user())
    start = date(2025, 11, 25)
    ok = client.get(URL, {"from": start.isoformat(), "to": (start + timedelta(days=365)).isoformat()})
    assert ok.status_code == 200
    assert len(ok.json()["days"]) == 366
    refused = client.get(URL, {"from": start.isoformat(), "to": (start + timedelta(days=366)).isoformat()})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"to": ["At most 366 days at a time."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-11-25", "to": "2026-11-24"}, "from"),
        ({"from": "last week"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"since": "2026-11-01"}, "since"),
    ],
)
def test_bad_ranges_are_refused(query, field):
    response = client_for(make_user()).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_new_goal_holds_from_today_and_never_rewrites_past_days_or_streaks():
    user = make_user(daily_goal=4000, timezone="UTC")
    walked(user, *[(TODAY - timedelta(days=n), 4500) for n in range(1, 5)])  # four goal days before today
    client = client_for(user)
    assert client.get("/api/v1/steps/summary").json()["streak"] == {"current": 4, "best": 4}

    assert client.patch("/api/v1/me", {"daily_goal": 12_000}, format="json").status_code == 200

    summary = client.get("/api/v1/steps/summary").json()
    assert summary["streak"] == {"current": 4, "best": 4}
    assert summary["today"]["goal"] == 12_000
    days = client.get(URL, {"from": "2026-11-21", "to": "2026-11-25"}).json()["days"]
    assert [(day["goal"], day["goal_reached"]) for day in days] == [(4000, True)] * 4 + [(12_000, None)]
    # A backfilled past day is judged by the goal it had.
    walked(user, (TODAY - timedelta(days=6), 5000))
    past = client.get(URL, {"from": "2026-11-19", "to": "2026-11-19"}).json()["days"][0]
    assert (past["goal"], past["goal_reached"]) == (4000, True)
    assert client.get("/api/v1/steps/summary").json()["streak"]["best"] == 4
