"""The boards' Redis index answers exactly what SQL answers, for every kind,
through the real write path (syncs, corrections, flags, deletions, zone and
goal changes), and SQL answers alone when Redis cannot."""

from datetime import timedelta

import pytest
from django.test import TestCase

from accounts.services import user_delete, user_update
from challenges import board_index, board_services, selectors, services
from challenges.models import Kind, Scope
from pedometer_site.tests.testing import make_user
from rankings import index as rankings_index
from steps.services import correct_daily_steps

from .builders import NOW, days_ago, started, team, walk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breaker(settings):
    assert settings.REDIS_URL, "the index tests run against a real Redis (REDIS_URL)"
    rankings_index.reset_state()
    yield
    rankings_index.reset_state()


def _fields(page: selectors.BoardPage) -> tuple:
    rows = [
        (r.rank, r.pk, r.name, float(r.score), r.reached_at, r.user_id, r.team_id, r.team_name) for r in page.entries
    ]
    me = (page.me.rank, page.me.pk, float(page.me.score)) if page.me else None
    return rows, page.count, me, page.my_team, page.summary


def assert_same_both_ways(challenge, viewers) -> None:
    """Every page (several page sizes and offsets) and every viewer's place, both scopes."""
    challenge.refresh_from_db()
    for scope in (Scope.PEOPLE, Scope.TEAMS):
        for viewer in [None, *viewers]:
            for offset, limit in ((0, 100), (0, 1), (1, 2), (2, 5)):
                kwargs = dict(challenge=challenge, scope=scope, viewer=viewer, offset=offset, limit=limit)
                indexed = selectors.board_page(**kwargs)
                assert indexed.source == "index", "the index answered"
                assert _fields(indexed) == _fields(selectors.board_page(**kwargs, use_index=False)), (scope, offset)


def built(challenge):
    """The board in the index before anything is synced: what follows goes through the fan-out."""
    assert board_services.rebuild(challenge=challenge) is not None
    return challenge


def test_total_with_caps_ties_a_flagged_day_and_a_correction():
    staff = make_user(is_staff=True)
    ada, bo, chen, dee = (make_user(display_name=n) for n in ("Ada", "Bo", "Chen", "Dee"))
    challenge = built(
        started(Kind.TOTAL, creator=ada, starts_on=days_ago(4), ends_on=days_ago(-3), entrants=[bo, chen, dee],
                daily_cap=100_000)
    )  # fmt: skip
    walk(ada, 45_000, days_ago(3), at=NOW - timedelta(hours=3))
    walk(bo, 45_000, days_ago(2), at=NOW - timedelta(hours=2))  # a tie: Ada got there first
    walk(chen, 80_000, days_ago(1))  # flagged: counts at 50,000
    walk(dee, 2_000, days_ago(4))
    walk(dee, 3_000, days_ago(3))
    assert_same_both_ways(challenge, [ada, bo, chen, dee])
    with TestCase.captureOnCommitCallbacks(execute=True):
        correct_daily_steps(staff=staff, user=chen, day=days_ago(1), source="phone", steps=1_000, reason="x", now=NOW)
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=chen, offset=0, limit=10)
    assert [(r.name, r.score) for r in page.entries] == [
        ("Ada", 45_000),
        ("Bo", 45_000),
        ("Dee", 5_000),
        ("Chen", 1_000),
    ]
    assert_same_both_ways(challenge, [ada, bo, chen, dee])


def test_a_flagged_day_counts_at_50000_then_the_cap():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = built(started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo]))
    walk(ada, 80_000, days_ago(1))
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.me is not None and page.me.score == 30_000
    assert_same_both_ways(challenge, [ada, bo])


def test_goal_days_and_streak_judge_each_day_by_its_own_goal_after_a_change():
    for kind in (Kind.GOAL_DAYS, Kind.STREAK):
        ada, bo = make_user(display_name="Ada", daily_goal=5_000), make_user(display_name="Bo", daily_goal=9_000)
        challenge = built(started(kind, creator=ada, starts_on=days_ago(5), ends_on=days_ago(-3), entrants=[bo]))
        for n in (5, 4, 3, 2, 1):
            walk(ada, 6_000, days_ago(n))
            walk(bo, 8_000 if n != 3 else 10_000, days_ago(n))
        with TestCase.captureOnCommitCallbacks(execute=True):
            user_update(user=ada, daily_goal=12_000)  # from today on: the five days keep 5,000
        walk(ada, 6_000, days_ago(0))  # under the new goal: not a goal day
        walk(bo, 9_500, days_ago(0))
        assert_same_both_ways(challenge, [ada, bo])
        page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=None, offset=0, limit=10)
        expected = {Kind.GOAL_DAYS: [("Ada", 5), ("Bo", 2)], Kind.STREAK: [("Ada", 5), ("Bo", 1)]}[kind]
        assert [(r.name, r.score) for r in page.entries] == expected


def test_a_goal_change_today_rejudges_today_without_a_sync():
    ada = make_user(display_name="Ada", daily_goal=5_000)
    challenge = built(started(Kind.GOAL_DAYS, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-3)))
    walk(ada, 6_000, days_ago(0))
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_update(user=ada, daily_goal=8_000)
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.me is not None and page.me.score == 0
    assert_same_both_ways(challenge, [ada])


def test_teams_by_total_and_by_average_with_idle_members_and_an_empty_team():
    for scoring in ("total", "average"):
        people = [make_user(display_name=f"{scoring} {n}") for n in range(7)]
        challenge = started(
            Kind.TEAM, creator=people[0], starts_on=days_ago(3), ends_on=days_ago(-3), team_scoring=scoring
        )
        built(challenge)
        team(challenge, "Reds", *people[:3])
        team(challenge, "Blues", *people[3:6])
        team(challenge, "Idle", people[6])
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.team_create(user=people[0], challenge=challenge, name="Empty", now=NOW)
        for n, steps in enumerate((10_001, 3_000, 0, 6_667, 6_667, 0)):
            if steps:
                walk(people[n], steps, days_ago(2), at=NOW - timedelta(minutes=10 - n))
        assert_same_both_ways(challenge, people)


def test_head_to_head_and_group_target_summaries():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    duel = built(started(Kind.HEAD_TO_HEAD, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), opponent=bo))
    together = built(
        started(Kind.GROUP_TARGET, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo],
                target=20_000)
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.challenge_join(user=bo, challenge=duel, team=None, now=NOW)
    walk(ada, 9_000, days_ago(2))
    walk(bo, 12_000, days_ago(1))
    assert_same_both_ways(duel, [ada, bo])
    assert_same_both_ways(together, [ada, bo])
    page = selectors.board_page(challenge=together, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.summary["reached_on"] == days_ago(1).isoformat()


def test_zone_change_and_a_deleted_account_leave_both_paths_alike():
    ada, bo, chen = (make_user(display_name=n) for n in ("Ada", "Bo", "Chen"))
    challenge = started(Kind.TEAM, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3))
    built(challenge)
    team(challenge, "Reds", ada, bo)
    team(challenge, "Blues", chen)
    walk(ada, 5_000, days_ago(2))
    walk(bo, 9_000, days_ago(2))
    walk(chen, 7_000, days_ago(2))
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_update(user=ada, timezone="Pacific/Kiritimati")
    walk(ada, 4_000, days_ago(1))
    assert_same_both_ways(challenge, [ada, bo, chen])
    with TestCase.captureOnCommitCallbacks(execute=True):
        user_delete(user=bo)
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=None, offset=0, limit=10)
    assert [r.name for r in page.entries] == ["Ada", "Chen"] and page.count == 2
    assert_same_both_ways(challenge, [ada, chen])


def test_a_lost_board_is_answered_from_sql_and_rebuilt_by_the_read():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo])
    walk(ada, 3_000, days_ago(1))  # the board is not in the index yet: nothing to write
    first = board_services.read_board(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert first.source == "sql" and first.index_lost
    walk(bo, 4_000, days_ago(1))
    again = board_services.read_board(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert again.source == "index" and [r.name for r in again.entries] == ["Bo", "Ada"]


def test_writes_while_redis_is_down_are_not_lost(settings):
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = built(started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo]))
    walk(ada, 3_000, days_ago(1))
    live_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: refused at once
    walk(bo, 4_000, days_ago(1))  # the write fails: the board is marked stale
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.source == "sql" and [r.name for r in page.entries] == ["Bo", "Ada"]
    settings.REDIS_URL = live_url
    page = board_services.read_board(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.source == "sql", "the stale board is not trusted"
    page = board_services.read_board(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.source == "index" and [(r.name, r.score) for r in page.entries] == [("Bo", 4_000), ("Ada", 3_000)]


def test_a_final_board_leaves_the_index_for_its_frozen_rows(django_capture_on_commit_callbacks):
    ada = make_user(display_name="Ada")
    challenge = built(started(Kind.TOTAL, creator=ada, starts_on=days_ago(6), ends_on=days_ago(5), grace_hours=0))

    # The index lets go after the freeze commits. (Without running that, the
    # keys only seemed gone: they expire with the grace window, which Redis's
    # own clock had passed; 400 days ahead, the test's clock had not.)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.finalise_if_due(challenge=challenge, now=NOW)
    with rankings_index.connection() as client:
        assert not client.keys(f"{board_index.keys_for(challenge.pk).base}*")
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.source == "frozen"


def test_overtaking_on_an_indexed_board_owes_one_push_a_day_and_none_for_a_level_score():
    from notifications.models import Kind as PushKind
    from notifications.models import Notification

    ada, bo, chen = (make_user(display_name=n) for n in ("Ada", "Bo", "Chen"))
    challenge = built(
        started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo, chen])
    )
    walk(chen, 7_000, days_ago(1), at=NOW - timedelta(hours=2))
    walk(bo, 5_000, days_ago(1), at=NOW - timedelta(hours=2))
    walk(ada, 1_000, days_ago(1), at=NOW - timedelta(hours=1))
    walk(ada, 5_000, days_ago(1))  # level with Bo, who got there first: still behind
    assert not Notification.objects.filter(kind=PushKind.CHALLENGE_OVERTAKEN).exists()
    walk(ada, 8_000, days_ago(1))  # past Chen; Bo shared Ada's rank, so nobody passed him
    walk(ada, 9_000, days_ago(1))  # Chen was told once today
    told = sorted(
        Notification.objects.filter(kind=PushKind.CHALLENGE_OVERTAKEN).values_list("user__display_name", flat=True)
    )
    assert told == ["Chen"]
    page = selectors.board_page(challenge=challenge, scope=Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert page.source == "index" and page.me is not None and page.me.rank == 1
