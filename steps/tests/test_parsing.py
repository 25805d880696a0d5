"""Sync bodies and live messages are parsed alike, with errors keyed like the REST API's."""

from datetime import UTC, date, datetime

import pytest

from steps.parsing import parse_live_steps, parse_sync
from steps.services import DaySample, HourSample, StepsValidationError


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
                "days": [{"date": "2026-11-25", "steps": 1}, {"date": "25.11.2026", "steps": 2.5, "stepz": 1}, 7],
                "hours": "all of them",
                "source": 5,
                "bogus": True,
            }
        )
    assert raised.value.fields == {
        "days": {
            "1": {
                "date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
                "steps": ["A valid integer is required."],
                "stepz": ["Unknown field."],
            },
            "2": {"non_field_errors": ["Expected an object."]},
        },
        "hours": ['Expected a list of items but got type "str".'],
        "source": ["Not a valid string."],
        "bogus": ["Unknown field."],
    }


@pytest.mark.parametrize(("steps", "valid"), [(12, True), (12.0, True), (12.5, False), (True, False), ("12", False)])
def test_counts_must_be_whole_json_numbers(steps, valid):
    message = {"type": "steps", "date": "2026-11-25", "steps": steps}
    if valid:
        assert parse_live_steps(message).days[0].steps == 12
    else:
        with pytest.raises(StepsValidationError):
            parse_live_steps(message)
