"""What one sync costs the database and Redis, counted, not timed.

A sync is what every phone does many times a day, and on these machines each
round trip to MariaDB or Redis costs the server about 0.1 ms of CPU and each
Redis command a few tens of microseconds more (bench/ingest.py; README, "Where
a one-day sync's CPU goes"). These tests hold a one-day sync to the round trips
and commands it needs, through the real API on MariaDB and Redis with every
after-commit handler running, so a change that adds one is seen here first.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pedometer_site.tests.testing import client_for, make_user, redis_traffic
from rankings import board_feed, index
from rankings.periods import BoardKey, Period

pytestmark = pytest.mark.skipif(connection.vendor != "mysql", reason="counts MariaDB's and Redis's round trips")


def one_day_sync(client, steps: int):
    today = timezone.localdate()
    response = client.post("/api/v1/steps/sync", {"days": [{"date": today.isoformat(), "steps": steps}]}, format="json")
    assert response.status_code == 200, response.content
    return response


@pytest.fixture
def walker():
    user = make_user(timezone="UTC", visibility="public")
    client = client_for(user)
    one_day_sync(client, 100)  # connections, scripts and caches warm, as on a server that has been up a while
    return user, client


@pytest.mark.django_db(transaction=True)
def test_a_one_day_sync_asks_the_database_seven_statements(walker):
    _, client = walker
    with CaptureQueriesContext(connection) as queries:
        one_day_sync(client, 2_000)
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    # The signed-in user; in the transaction, the lock with the totals and the
    # device's day read (one statement), the device's day, the total, COMMIT;
    # after commit, the rankings index's visibility and totals, and the
    # challenges gate. (START TRANSACTION goes beneath Django's cursor wrapper,
    # so it is not among these.)
    assert len(statements) <= 7, "\n".join(query["sql"][:120] for query in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_one_day_sync_writes_every_board_in_one_redis_command_each_for_the_index_and_the_live_feed(walker):
    user, client = walker
    with redis_traffic() as traffic:
        one_day_sync(client, 2_000)
    # The session deny list, the throttle, the live broadcast, the index (ten
    # boards: day, week, month, seven rolling windows) and the live boards' marks.
    assert traffic.commands.count("EVALSHA") <= 3, traffic.commands
    assert len(traffic.commands) <= 5, traffic.commands
    assert traffic.round_trips() <= 5, traffic.commands
    # And the work was done: the day's live board heard of the walker.
    dirty = board_feed._boards()._keys(Period.DAY.value, timezone.localdate().isoformat())[0]
    with index.connection() as redis:
        assert str(user.uuid) in redis.smembers(dirty)


@pytest.mark.django_db(transaction=True)
def test_one_script_call_writes_a_user_on_every_board_their_day_moves(walker):
    """The index's one call for ten boards puts the user on each ready board
    and leaves the others alone (they are rebuilt from SQL when first read)."""
    user, client = walker
    today = timezone.localdate()
    boards = BoardKey.touched_by(today)
    ready = boards[::2]
    with index.connection() as redis:
        for board in ready:
            redis.set(index.keys_for(board).ready, "1")
    one_day_sync(client, 4_321)
    with index.connection() as redis:
        for board in boards:
            member = redis.hget(index.keys_for(board).users, str(user.pk))
            if board in ready:
                assert member is not None and index.decode_member(member).steps >= 4_321, board
                assert redis.zscore(index.keys_for(board).pub, member) is not None, board
            else:
                assert member is None, board
