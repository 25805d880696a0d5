"""When Redis is down or a board is missing from it, the same endpoint answers
from SQL, counts the fallback, never fails because of Redis, and the index
repairs itself."""

import socket

import pytest
from django.core.management import CommandError, call_command

from pedometer_site.tests.testing import client_for, make_user
from rankings import index
from rankings.api import SOURCE_HEADER
from rankings.periods import BoardKey

from .boards import REF, closed_port_url, rebuilt, view, walk


def get_day(user):
    response = client_for(user).get("/api/v1/rankings/day", {"date": REF.isoformat()})
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_redis_down_answers_from_sql_and_counts_it(settings):
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 5000)
    walk(bo, 6000)
    rebuilt("day")
    settings.REDIS_URL = closed_port_url()
    response = get_day(ann)
    assert response[SOURCE_HEADER] == "sql"
    assert [e["display_name"] for e in response.json()["entries"]] == ["Bo", "Ann"]
    assert response.json()["me"] == {"rank": 2, "steps": 5000, "steps_to_pass": 1001}
    get_day(bo)
    assert index.fallbacks["redis_down"] == 2


@pytest.mark.django_db
def test_a_redis_that_accepts_but_never_answers_times_out_into_sql(settings):
    walk(make_user(), 5000)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads
    try:
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        response = get_day(make_user())
    finally:
        silent.close()
    assert response[SOURCE_HEADER] == "sql"
    assert response.json()["entries"][0]["steps"] == 5000
    assert index.fallbacks["redis_down"] == 1


@pytest.mark.django_db
def test_syncs_keep_working_while_redis_is_down_and_the_index_heals_after(settings, inline_tasks):
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 5000)
    walk(bo, 4000)
    rebuilt("day")
    live_url = settings.REDIS_URL

    settings.REDIS_URL = closed_port_url()
    walk(bo, 8000)  # stored in MySQL; the index write fails quietly
    settings.REDIS_URL = live_url

    # The index missed that write: rather than serve it, the board is dropped,
    # answered from SQL once, and rebuilt (inline here, by a worker in production).
    first = get_day(ann)
    assert first[SOURCE_HEADER] == "sql"
    assert [e["steps"] for e in first.json()["entries"]] == [8000, 5000]
    assert index.fallbacks["not_ready"] == 1
    second = get_day(ann)
    assert second[SOURCE_HEADER] == "index"
    assert second.json()["entries"] == first.json()["entries"]


@pytest.mark.django_db
def test_a_missing_board_is_served_from_sql_and_rebuilt_once(inline_tasks):
    ann = make_user(display_name="Ann")
    walk(ann, 5000)
    first = get_day(ann)
    assert first[SOURCE_HEADER] == "sql"
    assert index.fallbacks["not_ready"] == 1
    assert get_day(ann)[SOURCE_HEADER] == "index"
    from_index, from_sql = view(ann, "day", use_index=True), view(ann, "day", use_index=False)
    assert (from_index[:2], from_index[2]) == (from_sql[:2], "index")


@pytest.mark.django_db
def test_only_one_reader_asks_for_a_repair_at_a_time():
    board = BoardKey.of("day", REF)
    assert index.claim_repair(board) is True
    assert index.claim_repair(board) is False


@pytest.mark.django_db
def test_rebuild_command_says_when_redis_is_down(settings):
    settings.REDIS_URL = closed_port_url()
    with pytest.raises(CommandError, match="Redis is unavailable"):
        call_command("rebuild_rankings", "--period", "day", "--date", REF.isoformat())
