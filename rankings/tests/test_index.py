"""The Redis index: kept equal to SQL by syncs and rebuilds, atomic swaps,
idempotent writes, expiry, visibility changes and deletions."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from accounts.models import User, Visibility
from accounts.services import user_delete, user_update
from pedometer_site.tests.testing import make_user
from rankings import index, services
from rankings.periods import BoardKey, Period
from steps.services import correct_daily_steps

from .boards import REF, at, befriend, rebuilt, view, walk

PERIODS = [p.value for p in Period]


def assert_index_equals_sql(viewers, day=REF):
    """Every period, scope and viewer (and a signed-out visitor): same entries, same `me`."""
    for period in PERIODS:
        for viewer in [*viewers, None]:
            for scope in ["global", "friends"] if viewer else ["global"]:
                for limit, offset in [(200, 0), (3, 2)]:
                    kwargs = {"scope": scope, "limit": limit, "offset": offset}
                    from_index = view(viewer, period, day, use_index=True, **kwargs)
                    from_sql = view(viewer, period, day, use_index=False, **kwargs)
                    assert from_index[2] == "index", (period, scope)
                    assert from_index[:2] == from_sql[:2], (period, scope, viewer, limit, offset)


def some_people(rng):
    """A dozen walkers of every visibility, a few friendships, ties on purpose."""
    kinds = [Visibility.PUBLIC] * 7 + [Visibility.FRIENDS] * 3 + [Visibility.PRIVATE] * 2
    people = [make_user(display_name=f"P{n}", visibility=kind) for n, kind in enumerate(kinds)]
    for a, b in [(0, 7), (0, 10), (1, 8), (7, 8), (2, 11)]:
        befriend(people[a], people[b])
    return people


def some_walks(rng, people, rounds=3):
    week = BoardKey.of("week", REF)
    days = [REF - timedelta(days=n) for n in range(8)] + [week.start]
    for n in range(rounds * len(people)):
        person = rng.choice(people)
        walk(
            person, rng.choice([1000, 2000, 2000, 3000, 5000, rng.randrange(100, 9000)]), rng.choice(days), at=at(n % 4)
        )


@pytest.mark.django_db
def test_index_kept_by_syncs_equals_sql():
    rng = random.Random(4)
    people = some_people(rng)
    week = BoardKey.of("week", REF)
    days = {REF - timedelta(days=n) for n in range(8)} | {week.start}
    for day in days:  # ready (empty) boards first, so that every sync after is indexed by the on-commit hook
        for period in PERIODS:
            rebuilt(period, day)
    some_walks(rng, people)
    assert_index_equals_sql(people)


@pytest.mark.django_db
def test_rebuild_equals_sql():
    rng = random.Random(7)
    people = some_people(rng)
    some_walks(rng, people)
    for period in PERIODS:
        rebuilt(period, REF)
    assert_index_equals_sql(people)


@pytest.mark.django_db
def test_a_repeated_or_late_write_changes_nothing():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    rebuilt("day")
    (first,) = walk(ann, 3000, at=at(1))
    walk(bo, 4000, at=at(2))
    walk(ann, 5000, at=at(3))
    before = view(bo, "day", use_index=True)
    services.index_day_totals(user=ann, changes=[first])  # the first sync's write, again and late
    services.index_day_totals(user=ann, changes=[first])
    assert view(bo, "day", use_index=True) == before
    assert before[0] == [(1, "Ann", 5000), (2, "Bo", 4000)]


@pytest.mark.django_db
def test_a_redis_that_lost_its_scripts_still_takes_the_next_sync():
    """A restarted or failed-over Redis has none of our Lua scripts loaded."""
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    rebuilt("day")
    walk(ann, 3000, at=at(1))
    index._client().script_flush()

    walk(bo, 4000, at=at(2))
    walk(ann, 5000, at=at(3))

    entries, _, source = view(bo, "day", use_index=True)
    assert (entries, source) == ([(1, "Ann", 5000), (2, "Bo", 4000)], "index")


@pytest.mark.django_db
def test_a_staff_correction_lowers_the_indexed_total():
    staff, ann, bo = make_user(is_staff=True), make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 9000, source="phone")
    walk(bo, 5000)
    rebuilt("day")
    rebuilt("week")
    with TestCase.captureOnCommitCallbacks(execute=True):
        correct_daily_steps(
            staff=staff, user=ann, day=REF, source="phone", steps=1000, reason="shaker", now=timezone.now()
        )
    assert view(bo, "day", use_index=True)[0] == [(1, "Bo", 5000), (2, "Ann", 1000)]
    assert view(bo, "week", use_index=True)[0] == view(bo, "week", use_index=False)[0]


@pytest.mark.django_db
def test_going_private_leaves_every_board_at_once():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 9000)
    walk(bo, 5000)
    for period in PERIODS:
        rebuilt(period)
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_update(user=ann, visibility=Visibility.PRIVATE)
    for period in PERIODS:
        assert view(bo, period, use_index=True)[0] == [(1, "Bo", 5000)], period
    ann.refresh_from_db()
    assert view(ann, "day", use_index=True)[1].rank == 1  # still sees their own place
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_update(user=ann, visibility=Visibility.PUBLIC)
    assert view(bo, "week", use_index=True)[0] == [(1, "Ann", 9000), (2, "Bo", 5000)]


@pytest.mark.django_db
def test_a_deleted_account_leaves_the_index():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 9000)
    walk(bo, 5000)
    rebuilt("day")
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_delete(user=ann)
    assert view(bo, "day", use_index=True)[0] == [(1, "Bo", 5000)]
    users_key = index.keys_for(BoardKey.of("day", REF)).users
    assert index._client().hlen(users_key) == 1


@pytest.mark.django_db
def test_readers_see_the_old_board_until_the_rebuild_swaps_in():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 3000)
    board = rebuilt("day")
    walk(bo, 4000)  # on-commit write: the live board has it
    build = index.build_start(board)
    assert index.build_start(board) is None  # one rebuild at a time
    index.build_put(build, [(ann.pk, index.encode_member(steps=3000, reached_at=at(0), pk=ann.pk), True)])
    assert view(ann, "day", use_index=True)[0] == [(1, "Bo", 4000), (2, "Ann", 3000)]  # half-built: not shown
    index.build_put(build, [(bo.pk, index.encode_member(steps=4000, reached_at=at(0), pk=bo.pk), True)])
    assert index.build_finish(build)
    assert view(ann, "day", use_index=True)[0] == [(1, "Bo", 4000), (2, "Ann", 3000)]


@pytest.mark.django_db
def test_a_sync_during_a_rebuild_survives_the_swap():
    ann = make_user(display_name="Ann")
    walk(ann, 3000)
    board = BoardKey.of("day", REF)
    build = index.build_start(board)
    stale = index.encode_member(steps=3000, reached_at=at(0), pk=ann.pk)  # what the rebuild read before the sync
    walk(ann, 7000, at=at(5))
    index.build_put(build, [(ann.pk, stale, True)])
    assert index.build_finish(build)
    assert view(ann, "day", use_index=True)[0] == [(1, "Ann", 7000)]


@pytest.mark.django_db
def test_board_keys_expire_after_the_retention():
    walk(make_user(), 3000)
    board = rebuilt("day")
    keys = index.keys_for(board)
    client = index._client()
    for key in (keys.pub, keys.users, keys.ready):
        assert client.expiretime(key) == int(board.expires_at().timestamp())
    assert board.expires_at() - timezone.now() > timedelta(days=25)


@pytest.mark.django_db
def test_boards_older_than_the_index_keeps_are_served_from_sql():
    old_day = timezone.now().date() - timedelta(days=60)
    user = make_user()
    walk(user, 3000, old_day)
    _entries, me, source = view(user, "day", old_day, use_index=True)
    assert (source, me.rank, index.fallbacks.total()) == ("sql", 1, 0)


@pytest.mark.django_db
def test_rebuild_command_builds_each_board_with_a_progress_bar(capsys):
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 3000)
    walk(bo, 4000, REF - timedelta(days=1))
    call_command("rebuild_rankings", "--period", "day", "--period", "rolling7", "--date", REF.isoformat())
    out = capsys.readouterr().out
    assert f"day {REF.isoformat()} [" in out and "1/1" in out
    assert f"rolling7 {REF.isoformat()}: 2 users" in out
    assert view(ann, "rolling7", use_index=True)[0] == [(1, "Bo", 4000), (2, "Ann", 3000)]


@pytest.mark.django_db
def test_rebuild_needs_no_users_to_make_a_ready_board():
    nobody = make_user()
    rebuilt("month")
    assert view(nobody, "month", use_index=True) == ([], None, "index")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_new_redis_master_sends_every_board_back_to_sql_until_rebuilt():
    # After a Sentinel failover the promoted replica may lack the old master's last
    # writes: its replication id differs from the one the boards were vouched for under.
    walker = make_user(display_name="Walker")
    walk(walker, 4000, REF)
    rebuilt("day", REF)
    assert view(walker, "day", REF, use_index=True)[2] == "index"
    client = index._client()
    client.set(index._replid_key(), "the-replication-id-of-a-master-that-died")
    index._master_verified.clear()  # as after a lost connection

    assert view(walker, "day", REF, use_index=True)[2] == "sql"
    assert client.get(index._replid_key()) == client.info("replication")["master_replid"]
    rebuilt("day", REF)
    assert view(walker, "day", REF, use_index=True)[2] == "index"  # vouched for now: no second drop
