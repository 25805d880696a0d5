"""The six scoring rules, as pure functions of daily totals."""

from datetime import UTC, date, datetime, timedelta

from challenges import scoring
from challenges.scoring import Day, Score

START = date(2026, 12, 7)
T0 = datetime(2026, 12, 7, 12, tzinfo=UTC)


def days(*counts: int, start: date = START, late: int = 0) -> list[Day]:
    """Consecutive days from ``start``; each stored at noon of its day (+``late`` minutes)."""
    return [
        Day(day=start + timedelta(days=n), steps=steps, reached_at=T0 + timedelta(days=n, minutes=late))
        for n, steps in enumerate(counts)
    ]


def test_total_caps_each_day_at_the_daily_cap():
    score = scoring.total_score(1, days(45_000, 8_000, 30_000), daily_cap=30_000)
    assert score.value == 30_000 + 8_000 + 30_000


def test_total_is_complete_when_its_last_day_was_stored():
    score = scoring.total_score(1, days(5_000, 6_000), daily_cap=30_000)
    assert score.reached_at == T0 + timedelta(days=1)


def test_total_of_nobody_walking_is_zero_and_never_reached():
    assert scoring.total_score(1, [], daily_cap=30_000) == Score(key=1, value=0, reached_at=None)


def test_goal_days_count_days_at_or_over_the_target():
    score = scoring.goal_days_score(1, days(10_000, 9_999, 12_000, 0), target=10_000)
    assert score.value == 2


def test_streak_is_the_longest_run_of_consecutive_goal_days():
    score = scoring.streak_score(1, days(10_000, 11_000, 0, 10_000, 10_000, 10_000, 5_000), target=10_000)
    assert score.value == 3
    assert score.detail == {"from": "2026-12-10", "to": "2026-12-12"}


def test_streak_of_equal_runs_keeps_the_first():
    score = scoring.streak_score(1, days(10_000, 10_000, 0, 10_000, 10_000), target=10_000)
    assert score.value == 2
    assert score.reached_at == T0 + timedelta(days=1)


def test_a_missing_day_breaks_a_streak():
    gap = [*days(10_000, start=START), *days(10_000, start=START + timedelta(days=2))]
    assert scoring.streak_score(1, gap, target=10_000).value == 1


def test_current_streak_ends_yesterday():
    history = days(10_000, 10_000, 10_000, 2_000)
    assert scoring.current_streak(history, target=10_000, today=START + timedelta(days=3)) == 3
    assert scoring.current_streak(history, target=10_000, today=START + timedelta(days=5)) == 0


def test_ties_share_a_rank_ordered_by_who_got_there_first():
    early = Score(key=9, value=100, reached_at=T0)
    late = Score(key=2, value=100, reached_at=T0 + timedelta(minutes=5))
    top = Score(key=5, value=200, reached_at=T0 + timedelta(hours=3))
    last = Score(key=1, value=50, reached_at=T0)
    ranked = scoring.rank([late, last, early, top])
    assert [(r.rank, r.position, r.score.key) for r in ranked] == [(1, 1, 5), (2, 2, 9), (2, 3, 2), (4, 4, 1)]


def test_people_with_no_steps_come_last_sharing_a_rank():
    ranked = scoring.rank([Score(3, 0, None), Score(1, 0, None), Score(2, 10, T0)])
    assert [(r.rank, r.score.key) for r in ranked] == [(1, 2), (2, 1), (2, 3)]


def test_teams_ranked_by_total_of_their_members():
    members = {
        10: [Score(1, 5_000, T0), Score(2, 7_000, T0)],
        20: [Score(3, 11_000, T0)],
    }
    ranked = scoring.rank(scoring.team_scores(members, average=False))
    assert [(r.score.key, r.score.value) for r in ranked] == [(10, 12_000), (20, 11_000)]


def test_teams_ranked_by_average_per_member_count_idle_members():
    members = {
        10: [Score(1, 5_000, T0), Score(2, 7_000, T0), Score(4, 0, None)],
        20: [Score(3, 11_000, T0)],
    }
    ranked = scoring.rank(scoring.team_scores(members, average=True))
    assert [(r.score.key, r.score.value) for r in ranked] == [(20, 11_000), (10, 4_000)]


def test_an_empty_team_scores_zero():
    (score,) = scoring.team_scores({10: []}, average=True)
    assert score.value == 0


def test_head_to_head_higher_total_wins():
    duel = scoring.head_to_head([Score(1, 9_000, T0), Score(2, 8_000, T0)])
    assert (duel.outcome, duel.winner) == ("win", 1)


def test_head_to_head_equal_totals_are_a_draw_whoever_was_first():
    duel = scoring.head_to_head([Score(1, 9_000, T0), Score(2, 9_000, T0 + timedelta(hours=1))])
    assert (duel.outcome, duel.winner) == ("draw", None)


def test_head_to_head_with_one_person_is_pending():
    assert scoring.head_to_head([Score(1, 9_000, T0)]).outcome == "pending"


def test_group_target_reports_progress_and_the_day_it_was_reached():
    progress = scoring.group_progress(
        {1: days(40_000, 20_000, 20_000), 2: days(10_000, 10_000, 10_000)}, target=70_000, daily_cap=30_000
    )
    # day 1: 30,000 (capped) + 10,000; day 2: 30,000 more: 70,000 on the second day
    assert progress.reached_on == START + timedelta(days=1)
    assert progress.total == 100_000
    assert progress.percent == 100.0


def test_group_target_not_reached_yet():
    progress = scoring.group_progress({1: days(5_000)}, target=20_000, daily_cap=30_000)
    assert (progress.reached_on, progress.percent) == (None, 25.0)
