"""Each kind end to end: syncs through record_steps, the board from the participants' daily totals."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.services import user_delete
from challenges import selectors, services
from challenges.models import Kind, Scope
from pedometer_site.tests.testing import make_user

from .builders import NOW, days_ago, started, table, team, walk

pytestmark = pytest.mark.django_db


def test_total_sums_capped_days_and_ranks_ties_by_who_got_there_first():
    ada, bo, chen = make_user(display_name="Ada"), make_user(display_name="Bo"), make_user(display_name="Chen")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3), entrants=[bo, chen])
    walk(ada, 45_000, days_ago(3))  # capped at 30,000
    walk(chen, 20_000, days_ago(3), at=NOW - timedelta(hours=2))
    walk(chen, 10_000, days_ago(2), at=NOW - timedelta(hours=1))
    walk(bo, 5_000, days_ago(2))
    assert table(challenge) == [(1, "Chen", 30_000), (1, "Ada", 30_000), (3, "Bo", 5_000)]


def test_days_outside_the_period_do_not_count():
    ada = make_user(display_name="Ada")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3))
    walk(ada, 9_000, days_ago(4))
    walk(ada, 1_000, days_ago(3))
    assert table(challenge) == [(1, "Ada", 1_000)]


def test_participants_days_are_their_own_local_days():
    seoul = make_user(display_name="Seoul", timezone="Asia/Seoul")
    challenge = started(Kind.TOTAL, creator=seoul, starts_on=days_ago(3), ends_on=days_ago(1))
    walk(seoul, 4_000, days_ago(1), at=datetime.combine(days_ago(1), datetime.min.time(), tzinfo=UTC))
    assert table(challenge) == [(1, "Seoul", 4_000)]


def test_goal_days_use_each_participants_own_goal_by_default():
    ada, bo = make_user(display_name="Ada", daily_goal=5_000), make_user(display_name="Bo", daily_goal=12_000)
    challenge = started(Kind.GOAL_DAYS, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3), entrants=[bo])
    for n in (3, 2):
        walk(ada, 6_000, days_ago(n))
        walk(bo, 11_000, days_ago(n))
    assert table(challenge) == [(1, "Ada", 2), (2, "Bo", 0)]


def test_goal_days_with_a_target_for_everyone():
    ada, bo = make_user(display_name="Ada", daily_goal=5_000), make_user(display_name="Bo", daily_goal=12_000)
    challenge = started(
        Kind.GOAL_DAYS, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3), entrants=[bo], target=8_000
    )
    walk(ada, 6_000, days_ago(3))
    walk(bo, 11_000, days_ago(3))
    assert table(challenge) == [(1, "Bo", 1), (2, "Ada", 0)]


def test_streak_is_the_longest_run_within_the_period():
    ada = make_user(display_name="Ada")
    challenge = started(Kind.STREAK, creator=ada, starts_on=days_ago(5), ends_on=days_ago(-3), target=7_000)
    for n, steps in ((6, 9_000), (5, 9_000), (4, 9_000), (3, 100), (2, 9_000)):
        walk(ada, steps, days_ago(n))
    assert table(challenge) == [(1, "Ada", 2)]  # the day before the period does not lengthen it


def test_teams_ranked_by_total_and_by_average():
    a, b, c = make_user(display_name="A"), make_user(display_name="B"), make_user(display_name="C")
    for scoring, expected in (("total", [("Reds", 12_000), ("Blues", 9_000)]), ("average", [("Blues", 9_000)])):
        challenge = started(Kind.TEAM, creator=a, starts_on=days_ago(2), ends_on=days_ago(-2), team_scoring=scoring)
        team(challenge, "Reds", a, b)
        team(challenge, "Blues", c)
        walk(a, 7_000, days_ago(1))
        walk(b, 5_000, days_ago(1))
        walk(c, 9_000, days_ago(1))
        teams = [(row.name, row.score) for row in selectors.standings(challenge).teams]
        assert teams[: len(expected)] == expected


def test_head_to_head_is_won_by_the_higher_total_and_equal_totals_draw():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.HEAD_TO_HEAD, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), opponent=bo)
    services.challenge_join(user=bo, challenge=challenge, team=None, now=NOW)
    walk(ada, 8_000, days_ago(1))
    walk(bo, 8_000, days_ago(1))
    assert selectors.standings(challenge).summary["outcome"] == "draw"
    walk(bo, 8_001, days_ago(1))
    summary = selectors.standings(challenge).summary
    assert summary == {"outcome": "win", "winner": str(bo.uuid)}


def test_group_target_reports_progress_and_the_day_it_was_reached():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(
        Kind.GROUP_TARGET, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3), entrants=[bo], target=50_000
    )
    walk(ada, 20_000, days_ago(3))
    walk(bo, 20_000, days_ago(2))
    assert selectors.standings(challenge).summary["reached_on"] is None
    walk(ada, 15_000, days_ago(1))
    summary = selectors.standings(challenge).summary
    assert summary == {"total": 55_000, "target": 50_000, "percent": 100.0, "reached_on": days_ago(1).isoformat()}


def test_a_deleted_participant_vanishes_from_a_running_board():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo])
    walk(bo, 9_000, days_ago(1))
    user_delete(user=bo)
    assert [name for _, name, _ in table(challenge)] == ["Ada"]


def test_the_people_scope_names_each_persons_team():
    a = make_user(display_name="A")
    challenge = started(Kind.TEAM, creator=a, starts_on=days_ago(2), ends_on=days_ago(-2))
    team(challenge, "Reds", a)
    (row,) = selectors.standings(challenge).scope(Scope.PEOPLE)
    assert row.team_name == "Reds"
