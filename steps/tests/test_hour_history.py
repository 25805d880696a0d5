"""GET /api/v1/steps/hours: one local day's hours, the maximum over devices."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.services import HourSample, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")  # a phone there records its hours at +09:00
URL = "/api/v1/steps/hours"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def walked(user, *hours: tuple[datetime, int], source: str = "default", now: datetime = NOW) -> None:
    record_steps(user=user, hours=[HourSample(s, n) for s, n in hours], source=source, now=now, max_age_days=None)


@pytest.mark.django_db
def test_the_days_hours_are_listed_in_the_users_zone_with_the_maximum_over_devices():
    user = make_user(timezone="Asia/Seoul")  # UTC+9
    walked(user, (datetime(2026, 11, 25, 8, tzinfo=SEOUL), 500), source="phone")
    walked(user, (datetime(2026, 11, 25, 8, tzinfo=SEOUL), 800), source="watch")
    walked(user, (datetime(2026, 11, 25, 23, tzinfo=SEOUL), 50))
    walked(user, (datetime(2026, 11, 26, 0, tzinfo=SEOUL), 70))  # the 26th
    body = client_for(user).get(URL, {"date": "2026-11-25"}).json()
    assert (body["date"], body["timezone"], len(body["hours"])) == ("2026-11-25", "Asia/Seoul", 24)
    assert body["hours"][0] == {"start": "2026-11-25T00:00:00+09:00", "steps": 0}
    assert body["hours"][8] == {"start": "2026-11-25T08:00:00+09:00", "steps": 800}
    assert body["hours"][23] == {"start": "2026-11-25T23:00:00+09:00", "steps": 50}
    assert sum(hour["steps"] for hour in body["hours"]) == 850


@pytest.mark.django_db
def test_without_a_date_it_lists_the_users_today():
    user = make_user(timezone="Asia/Seoul")  # 15:00 UTC is 00:00 on the 26th there
    walked(user, (datetime(2026, 11, 26, 0, tzinfo=SEOUL), 70))
    body = client_for(user).get(URL).json()
    assert body["date"] == "2026-11-26"
    assert body["hours"][0] == {"start": "2026-11-26T00:00:00+09:00", "steps": 70}


@pytest.mark.django_db
def test_a_day_when_clocks_go_back_has_twenty_five_hours():
    user = make_user(timezone="Europe/Berlin")
    fall_back = datetime(2026, 10, 25, 12, tzinfo=UTC)
    walked(
        user, (datetime(2026, 10, 25, 0, tzinfo=UTC), 10), (datetime(2026, 10, 25, 1, tzinfo=UTC), 20), now=fall_back
    )
    hours = client_for(user).get(URL, {"date": "2026-10-25"}).json()["hours"]
    assert len(hours) == 25
    assert hours[2:4] == [
        {"start": "2026-10-25T02:00:00+02:00", "steps": 10},
        {"start": "2026-10-25T02:00:00+01:00", "steps": 20},
    ]


@pytest.mark.django_db
def test_a_bad_date_is_refused():
    response = client_for(make_user()).get(URL, {"date": "tomorrow"})
    assert response.status_code == 400
    assert "date" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_day_walked_before_a_move_names_the_zone_it_was_walked_in():
    """A traveller who moves from Seoul to Kolkata still sees last week's hours
    in Seoul time, and the answer says so (it said Kolkata, beside +09:00 hours)."""
    user = make_user(timezone="Asia/Seoul")
    walked(user, (datetime(2026, 11, 20, 8, tzinfo=SEOUL), 500))
    client = client_for(user)
    assert client.patch("/api/v1/me", {"timezone": "Asia/Kolkata"}, format="json").status_code == 200
    body = client.get(URL, {"date": "2026-11-20"}).json()
    assert (body["date"], body["timezone"]) == ("2026-11-20", "Asia/Seoul")
    assert body["hours"][8] == {"start": "2026-11-20T08:00:00+09:00", "steps": 500}
    today = client.get(URL).json()
    assert (today["date"], today["timezone"]) == ("2026-11-25", "Asia/Kolkata")
