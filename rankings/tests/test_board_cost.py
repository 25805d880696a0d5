"""The global board from the index is one round trip to Redis, whatever the
page and however many of the viewer's friends-only friends (or the viewer,
not public) are merged into it, and every page of it is the page SQL gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Visibility
from pedometer_site.tests.testing import client_for, make_user, redis_traffic
from rankings import index

from .boards import REF, at, befriend, rebuilt, view, walk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breaker():
    index.reset_state()
    yield
    index.reset_state()


def people_with_ties():
    """Public walkers, friends-only friends of the viewer among them (ties on purpose), a private viewer."""
    viewer = make_user(display_name="Me", visibility=Visibility.PRIVATE)
    steps = [9_000, 7_000, 7_000, 5_000, 5_000, 5_000, 3_000, 2_000, 2_000, 1_000]
    people = []
    for n, count in enumerate(steps):
        kind = Visibility.FRIENDS if n in (1, 4, 8) else Visibility.PUBLIC
        person = make_user(display_name=f"W{n}", visibility=kind)
        if kind == Visibility.FRIENDS:
            befriend(viewer, person)
        walk(person, count, REF, at=at(n))
        people.append(person)
    walk(viewer, 5_000, REF, at=at(20))
    return viewer, people


def test_every_page_of_the_global_board_with_friends_merged_in_equals_sql():
    viewer, _ = people_with_ties()
    rebuilt("day")
    for limit in (1, 2, 3, 5, 20):
        for offset in range(12):
            kwargs = {"scope": "global", "limit": limit, "offset": offset}
            from_index = view(viewer, "day", use_index=True, **kwargs)
            assert from_index[2] == "index"
            assert from_index[:2] == view(viewer, "day", use_index=False, **kwargs)[:2], (limit, offset)


@pytest.mark.parametrize("offset", [0, 3])
def test_a_global_board_page_is_one_round_trip_to_the_index(offset):
    viewer, _ = people_with_ties()
    rebuilt("day")
    client = client_for(viewer)
    url = "/api/v1/rankings/day"
    params = {"date": REF.isoformat(), "limit": 4, "offset": offset}
    assert client.get(url, params).headers["X-Rankings-Source"] == "index"
    with CaptureQueriesContext(connection) as queries, redis_traffic() as sent:
        response = client.get(url, params)
    assert response.status_code == 200 and response.headers["X-Rankings-Source"] == "index"
    assert len(response.json()["entries"]) == 4
    assert sent.round_trips(touching=b":rank:") == 1, sent.sends
    assert len(queries) <= 3, [q["sql"][:120] for q in queries.captured_queries]
