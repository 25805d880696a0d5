"""Sync bodies and socket messages go through one parser, with errors keyed like the REST API's."""

from datetime import UTC, date, datetime

import pytest

from steps.services import DaySample, HourSample, StepsValidationError
from steps.sync_input import parse_steps_message, parse_sync


def test_rest_body_becomes_samples_with_aware_hours():
    sync = parse_sync(
        {
            "days": [{"date": "2026-11-25", "steps": 4200, "distance_m": 3100, "floors": 2}],
            "hours": [{"start": "2026-11-25T09:00:00+09:00", "steps": 800}],
            "source": "iphone-1",
        }
    )
    assert sync.days == [DaySample(date(2026, 11, 25), 4200, 3100, 2)]
    assert sync.hours == [HourSample(datetime(2026, 11, 25, 0, tzinfo=UTC), 800)]
    assert sync.source == "iphone-1"


def test_every_problem_in_a_rest_body_is_reported_where_it_was_sent():
    with pytest.raises(StepsValidationError) as raised:
        parse_sync(
            {
                "days": [{"date": "2026-11-25", "steps": 1}, {"date": "25.11.2026", "steps": 2.5}, 7],
                "hours": "all of them",
            }
        )
    assert raised.value.fields == {
        "days": {
            "1": {
                "date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
                "steps": ["A valid integer is required."],
            },
            "2": {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
        },
        "hours": {"non_field_errors": ['Expected a list of items but got type "str".']},
    }
    assert raised.value.message == "Invalid input in: days, hours."


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"days": [{"date": "x", "steps": "many"}], "bogus": True}, {"bogus": ["Unknown field."]}),
        ({"days": [{"date": "x", "steps": "many"}], "source": 5}, {"source": ["Not a valid string."]}),
    ],
)
def test_an_unknown_field_or_a_non_string_source_is_refused_before_the_items_are_read(body, fields):
    with pytest.raises(StepsValidationError) as raised:
        parse_sync(body)
    assert raised.value.fields == fields


@pytest.mark.parametrize(("steps", "valid"), [(12, True), (12.0, True), (12.5, False), (True, False), ("12", False)])
def test_counts_must_be_whole_json_numbers(steps, valid):
    message = {"type": "steps", "date": "2026-11-25", "steps": steps}
    if valid:
        assert parse_steps_message(message).days[0].steps == 12
    else:
        with pytest.raises(StepsValidationError) as raised:
            parse_steps_message(message)
        assert raised.value.fields == {"steps": ["A valid integer is required."]}
        assert raised.value.message == "Invalid input in: steps."


@pytest.mark.parametrize("steps", [12.5, True, "12"])
def test_a_rest_sync_refuses_the_same_counts_in_the_same_words(steps):
    with pytest.raises(StepsValidationError) as raised:
        parse_sync({"days": [{"date": "2026-11-25", "steps": steps}]})
    assert raised.value.fields == {"days": {"0": {"steps": ["A valid integer is required."]}}}


def test_a_socket_message_is_the_sync_body_it_stands_for():
    message = {"type": "steps", "date": "2026-11-25", "steps": 10, "floors": 1, "source": "watch"}
    assert parse_steps_message(message) == parse_sync(
        {"days": [{"date": "2026-11-25", "steps": 10, "floors": 1}], "source": "watch"}
    )
