"""Every rule a sync must meet, seen through the API: the bad item is named by
index and field, and nothing from a refused sync is stored."""

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


def day(when: date, steps: int = 100, **extra) -> dict:
    return {"date": when.isoformat(), "steps": steps, **extra}


def refused(user, body: dict) -> dict:
    """Posts ``body``, checks it was refused as invalid with nothing stored, returns the fields."""
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert not DailySteps.objects.filter(user=user).exists()
    assert not HourlySteps.objects.filter(user=user).exists()
    assert not DayTotal.objects.filter(user=user).exists()
    return error["fields"]


def accepted(user, body: dict) -> dict:
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_tomorrow_is_accepted_for_clock_skew_but_the_day_after_is_not():
    user = make_user()
    accepted(user, {"days": [day(TODAY + timedelta(days=1))]})
    DailySteps.objects.all().delete()
    DayTotal.objects.all().delete()
    fields = refused(user, {"days": [day(TODAY), day(TODAY + timedelta(days=2))]})
    assert list(fields) == ["days"]
    assert list(fields["days"]) == ["1"]
    assert "future" in fields["days"]["1"]["date"][0]


@pytest.mark.django_db
def test_the_future_is_judged_by_the_users_own_calendar():
    # 15:00 UTC is 04:00 on the 26th in Auckland, so the 27th is its tomorrow.
    user = make_user(timezone="Pacific/Auckland")
    accepted(user, {"days": [day(date(2026, 11, 27))]})
    fields = refused(make_user(timezone="America/Los_Angeles"), {"days": [day(date(2026, 11, 27))]})
    assert "date" in fields["days"]["0"]


@pytest.mark.django_db
def test_a_day_older_than_thirty_days_is_refused():
    fields = refused(make_user(), {"days": [day(TODAY - timedelta(days=31))]})
    assert fields == {"days": {"0": {"date": ["Is more than 30 days ago; older days cannot be synced."]}}}


@pytest.mark.django_db
def test_an_hour_older_than_thirty_days_is_refused():
    fields = refused(make_user(), {"days": [], "hours": [{"start": "2026-10-25T10:00:00Z", "steps": 5}]})
    assert "date" not in fields["hours"]["0"]
    assert "30 days" in fields["hours"]["0"]["start"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "top"),
    [("steps", 100_000), ("distance_m", 250_000), ("floors", 3_000)],
)
def test_day_values_are_bounded(field, top):
    user = make_user()
    for bad in (top + 1, -1):
        fields = refused(user, {"days": [day(TODAY, **{field: bad})]})
        assert fields == {"days": {"0": {field: [f"Must be between 0 and {top:,}."]}}}
    accepted(user, {"days": [day(TODAY, **{field: top})]})


@pytest.mark.django_db
def test_hourly_steps_are_bounded():
    user = make_user()
    for bad in (15_001, -1):
        fields = refused(user, {"days": [], "hours": [{"start": "2026-11-25T09:00:00Z", "steps": bad}]})
        assert fields == {"hours": {"0": {"steps": ["Must be between 0 and 15,000."]}}}
    accepted(user, {"days": [], "hours": [{"start": "2026-11-25T09:00:00Z", "steps": 15_000}]})


@pytest.mark.django_db
def test_an_hour_must_start_on_the_hour_at_the_offset_it_was_recorded_at():
    user = make_user(timezone="Asia/Kolkata")  # UTC+05:30
    fields = refused(user, {"days": [], "hours": [{"start": "2026-11-25T14:30:00+05:30", "steps": 5}]})
    assert fields == {"hours": {"0": {"start": ["Must be the start of an hour at its own UTC offset."]}}}
    accepted(user, {"days": [], "hours": [{"start": "2026-11-25T14:00:00+05:30", "steps": 5}]})
    accepted(user, {"days": [], "hours": [{"start": "2026-11-25T09:00:00Z", "steps": 5}]})  # recorded in London


@pytest.mark.django_db
def test_an_hour_off_the_hour_is_refused():
    fields = refused(make_user(), {"days": [], "hours": [{"start": "2026-11-25T09:15:00Z", "steps": 5}]})
    assert "start" in fields["hours"]["0"]


@pytest.mark.django_db
def test_an_hour_without_an_offset_is_refused_rather_than_guessed():
    fields = refused(make_user(), {"days": [], "hours": [{"start": "2026-11-25T09:00:00", "steps": 5}]})
    assert fields == {"hours": {"0": {"start": ["Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00."]}}}


@pytest.mark.django_db
def test_four_hundred_items_are_accepted_and_four_hundred_and_one_refused():
    user = make_user()
    days = [day(TODAY - timedelta(days=n), 10) for n in range(30)]
    hours = [{"start": (NOW - timedelta(hours=n)).isoformat(), "steps": 1} for n in range(371)]
    fields = refused(user, {"days": days, "hours": hours})
    assert fields == {"non_field_errors": ["At most 400 days and hours in one sync."]}
    accepted(user, {"days": days, "hours": hours[:370]})


@pytest.mark.django_db
def test_a_wrongly_typed_item_is_named_by_index_and_field_like_a_rule_error():
    user = make_user()
    days = [day(TODAY), day(TODAY, "many"), day(TODAY), {"date": "yesterday", "steps": 5.5}]
    fields = refused(user, {"days": days})
    assert fields == {
        "days": {
            "1": {"steps": ["A valid integer is required."]},
            "3": {
                "date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
                "steps": ["A valid integer is required."],
            },
        }
    }


@pytest.mark.django_db
def test_a_rule_error_and_a_type_error_have_the_same_shape():
    user = make_user()
    type_error = refused(user, {"days": [day(TODAY), day(TODAY, None)]})
    rule_error = refused(user, {"days": [day(TODAY), day(TODAY, 100_001)]})
    assert set(type_error["days"]) == set(rule_error["days"]) == {"1"}
    assert set(type_error["days"]["1"]) == set(rule_error["days"]["1"]) == {"steps"}


@pytest.mark.django_db
def test_every_bad_item_is_reported_at_once():
    user = make_user()
    fields = refused(user, {"days": [day(TODAY, -5), day(TODAY), day(TODAY - timedelta(days=40), 200_000)]})
    assert set(fields["days"]) == {"0", "2"}
    assert set(fields["days"]["2"]) == {"date", "steps"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"days": [], "device": "x"}, {"device": ["Unknown field."]}),
        ({"days": [day(TODAY, 10, calories=5)]}, {"days": {"0": {"calories": ["Unknown field."]}}}),
        (
            {"days": [], "hours": [{"start": "2026-11-25T09:00:00Z", "steps": 1, "end": "x"}]},
            {"hours": {"0": {"end": ["Unknown field."]}}},
        ),
    ],
)
def test_unknown_fields_are_refused_not_ignored(body, expected):
    assert refused(make_user(), body) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "days"),
        ({"days": {"date": "2026-11-25"}}, "days"),
        ({"days": [5]}, "days"),
        ({"days": [], "hours": "lots"}, "hours"),
        ({"days": [], "source": ""}, "source"),
        ({"days": [], "source": "x" * 65}, "source"),
        # The schema says string; DRF alone would store 12 as "12" (schema fuzz).
        ({"days": [], "source": 12}, "source"),
    ],
)
def test_malformed_bodies_are_refused(body, field):
    assert field in refused(make_user(), body)


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_refused():
    response = client_for(make_user()).post(URL, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
