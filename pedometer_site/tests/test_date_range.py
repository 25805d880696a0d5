"""One supported range of dates (2000-01-01 to 2099-12-31) for every endpoint
and socket, checked before any arithmetic: the ends of the calendar, wrong
types and odd strings are a 400 in the error shape (a socket: an ``error``
message, and it stays open), never a 500."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pedometer_site.tests.testing import client_for, make_user, signed_in, websocket

OUT_OF_RANGE = "Must be between 2000-01-01 and 2099-12-31."

extreme_dates = st.one_of(
    st.dates(),  # 0001-01-01 .. 9999-12-31
    st.sampled_from([date.min, date.max, date(1999, 12, 31), date(2100, 1, 1), date(2099, 12, 31)]),
)
odd_strings = st.one_of(
    st.sampled_from(["", "0000-00-00", "2026-02-30", "10000-01-01", "-0001-01-01", "2026-1-1", "null", "9" * 40]),
    st.text(max_size=30),
)


def date_urls(day: str, user_id: str) -> list[str]:
    return [
        f"/api/v1/steps/days?from={day}",
        f"/api/v1/steps/days?to={day}",
        f"/api/v1/steps/hours?date={day}",
        f"/api/v1/steps/users?ids={user_id}&date={day}",
        f"/api/v1/rankings/day?date={day}",
        f"/api/v1/rankings/month?date={day}",
    ]


@pytest.fixture
def walker(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {key: None for key in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
    }
    user = make_user(timezone="Pacific/Kiritimati")  # UTC+14: the first to reach any date
    return user, client_for(user)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/steps/days?from=9999-12-31",
        "/api/v1/steps/days?to=0001-01-05",
        "/api/v1/steps/hours?date=9999-12-31",
        "/api/v1/steps/hours?date=0001-01-01",
        "/api/v1/rankings/month?date=9999-12-31",
    ],
)
def test_the_ends_of_the_calendar_are_a_400_naming_the_range(walker, url):
    _, client = walker
    response = client.get(url)
    assert response.status_code == 400, response.content
    (messages,) = response.json()["error"]["fields"].values()
    assert any("2000-01-01" in message for message in messages)


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:00:00+00:00", "9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+09:00"]
)
def test_a_sync_with_an_hour_at_the_end_of_time_is_a_400_and_stores_nothing(walker, start):
    user, client = walker
    response = client.post("/api/v1/steps/sync", {"days": [], "hours": [{"start": start, "steps": 5}]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"hours": {"0": {"start": [OUT_OF_RANGE]}}}
    assert not user.hourly_steps.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.one_of(extreme_dates.map(date.isoformat), odd_strings))
def test_no_date_on_any_read_endpoint_is_a_5xx(walker, day):
    user, client = walker
    for url in date_urls(day, str(user.uuid)):
        response = client.get(url)
        assert response.status_code in {200, 400}, (url, response.status_code)
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "validation_error"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=extreme_dates, hour=st.integers(0, 23), offset=st.sampled_from(["+00:00", "+14:00", "-12:00", "+05:45"]))
def test_no_day_or_hour_in_a_sync_is_a_5xx(walker, day, hour, offset):
    _, client = walker
    body = {
        "days": [{"date": day.isoformat(), "steps": 1}],
        "hours": [{"start": f"{day.isoformat()}T{hour:02d}:00:00{offset}", "steps": 1}],
    }
    response = client.post("/api/v1/steps/sync", body, format="json")
    assert response.status_code in {200, 400}
    if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        assert response.status_code == 400


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_steps_socket_answers_the_end_of_time_with_an_error_and_stays_open():
    _, access = await signed_in()
    socket = websocket("/ws/steps/", token=access)
    assert (await socket.connect())[0]
    today = timezone.now().date().isoformat()
    for message in (
        {"type": "steps", "date": today, "steps": 5, "hours": [{"start": "9999-12-31T23:00:00+00:00", "steps": 1}]},
        {"type": "steps", "date": "9999-12-31", "steps": 5},
        {"type": "steps", "date": "0001-01-01", "steps": 5},
    ):
        await socket.send_json_to(message)
        answer = await socket.receive_json_from()
        assert (answer["type"], answer["code"]) == ("error", "validation_error"), answer
        assert OUT_OF_RANGE in str(answer["fields"])
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "day", ["9999-12-31", "0001-01-01", "not-a-date", (timezone.now().date() + timedelta(days=400)).isoformat()]
)
async def test_the_board_socket_refuses_a_bad_date_with_an_error_and_serves_todays_board(day):
    socket = websocket(f"/ws/rankings/month/?date={day}")
    assert (await socket.connect())[0]
    error = await socket.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "validation_error")
    assert "date" in error["fields"]
    snapshot = await socket.receive_json_from()
    assert snapshot["type"] == "snapshot"
    await socket.disconnect()
