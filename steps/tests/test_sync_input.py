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


# --- The plain-form fast path and the serializer agree ---------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from steps import sync_input  # noqa: E402

_dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["2026-11-25", "20261125", "2026-W48-3", "2026-02-30", "0001-01-01", "9999-12-31", " 2026-11-25"]),
    st.text(max_size=12),
)
_starts = st.one_of(
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    st.sampled_from(
        ["2026-11-25T09:00:00+09:00", "2026-11-25T09:00:00Z", "2026-11-25T09:00", "2026-11-25 09:00+05:30",
         "9999-12-31T23:00:00-01:00", "2026-11-25T09:00:00.5+00:00"]
    ),
    st.text(max_size=30),
)  # fmt: skip
_counts = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20), st.sampled_from([0, 1.0, 2.5, True, None, "12", 10**5000])
)
_day = st.fixed_dictionaries(
    {"date": _dates, "steps": _counts},
    optional={"distance_m": _counts, "floors": _counts, "extra": st.just(1)},
)
_hour = st.fixed_dictionaries({"start": _starts, "steps": _counts}, optional={"extra": st.just(1)})
_bodies = st.fixed_dictionaries(
    {"days": st.lists(st.one_of(_day, st.just(7)), max_size=4)},
    optional={
        "hours": st.one_of(st.lists(_hour, max_size=4), st.none()),
        "source": st.one_of(st.text(max_size=8), st.just("a\x00b"), st.just("a\ud800"), st.integers(), st.none()),
        "other": st.just(True),
    },
)


def _answer(parse, body):
    try:
        sync = parse(body)
    except StepsValidationError as exc:
        return ("error", exc.fields)
    return (
        [(d.day, d.steps, d.distance_m, d.floors) for d in sync.days],
        [(h.start, h.start.utcoffset(), h.steps) for h in sync.hours],
        sync.source,
    )


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_the_plain_form_parser_answers_as_the_serializer_does(body):
    """``parse_sync`` reads plain bodies without DRF (speed); whatever it
    accepts that way must be exactly what the serializer makes of it."""
    plain = sync_input._parse_plain(body)
    if plain is not None:
        assert _answer(lambda _: plain, body) == _answer(sync_input._parse_with_serializer, body)


def test_the_plain_form_parser_takes_what_phones_send():
    body = {
        "source": "watch",
        "days": [{"date": "2026-11-25", "steps": 4200, "distance_m": None}],
        "hours": [{"start": "2026-11-25T09:00:00+09:00", "steps": 800}],
    }
    assert sync_input._parse_plain(body) is not None
    assert sync_input._parse_plain({"days": [{"date": "2026-11-25", "steps": 1.0}]}) is None  # the serializer's
