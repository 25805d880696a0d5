"""GET /api/v1/steps/summary: today, streaks, best day, averages, totals, all
on the user's own calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
TODAY = date(2026, 11, 25)
URL = "/api/v1/steps/summary"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def walked(user, steps_by_day: dict[date, int], now: datetime = NOW) -> None:
    days = [DaySample(day, steps) for day, steps in steps_by_day.items()]
    record_steps(user=user, days=days, now=now, max_age_days=None)


def summary(user) -> dict:
    response = client_for(user).get(URL)
    assert response.status_code == 200
    return response.json()


def days_before(n: int, today: date = TODAY) -> date:
    return today - timedelta(days=n)


@pytest.mark.django_db
def test_today_shows_steps_goal_and_progress():
    user = make_user(daily_goal=8000, timezone="Europe/Berlin")
    walked(user, {TODAY: 2000})
    body = summary(user)
    assert (body["date"], body["timezone"]) == ("2026-11-25", "Europe/Berlin")
    assert body["today"] == {"steps": 2000, "goal": 8000, "progress": 0.25, "goal_reached": False}


@pytest.mark.django_db
def test_progress_goes_past_one_when_the_goal_is_passed():
    user = make_user(daily_goal=4000)
    walked(user, {TODAY: 6000})
    assert summary(user)["today"] == {"steps": 6000, "goal": 4000, "progress": 1.5, "goal_reached": True}


@pytest.mark.django_db
def test_a_new_user_has_an_empty_summary():
    body = summary(make_user())
    assert body["streak"] == {"current": 0, "best": 0}
    assert body["best_day"] is None
    assert body["average"] == {
        "last_7_days": None,  # no data is not an average of zero
        "last_30_days": None,
        "days_counted": {"last_7_days": 0, "last_30_days": 0},
    }
    assert body["totals"] == {"this_week": 0, "this_month": 0}


@pytest.mark.django_db
def test_the_streak_is_not_broken_while_today_is_still_going():
    user = make_user(daily_goal=5000)
    walked(user, {days_before(3): 5000, days_before(2): 6000, days_before(1): 7000, TODAY: 100})
    assert summary(user)["streak"] == {"current": 3, "best": 3}


@pytest.mark.django_db
def test_today_counts_toward_the_streak_once_its_goal_is_reached():
    user = make_user(daily_goal=5000)
    walked(user, {days_before(2): 6000, days_before(1): 7000, TODAY: 5000})
    assert summary(user)["streak"] == {"current": 3, "best": 3}


@pytest.mark.django_db
def test_a_missed_yesterday_ends_the_current_streak():
    user = make_user(daily_goal=5000)
    walked(user, {days_before(4): 6000, days_before(3): 6000, days_before(2): 6000, days_before(1): 4999})
    assert summary(user)["streak"] == {"current": 0, "best": 3}


@pytest.mark.django_db
def test_a_gap_in_the_days_breaks_a_streak_and_the_best_one_is_remembered():
    user = make_user(daily_goal=1000)
    old_run = {date(2026, 3, 1) + timedelta(days=n): 1500 for n in range(5)}
    walked(user, {**old_run, days_before(2): 1000, days_before(4): 1000, days_before(1): 1000})
    assert summary(user)["streak"] == {"current": 2, "best": 5}


@pytest.mark.django_db
def test_streaks_follow_the_users_own_calendar():
    # At 15:00 UTC it is already the 26th in Auckland but still the 25th in Los Angeles.
    goal_days = {date(2026, 11, 22): 9000, date(2026, 11, 23): 9000, date(2026, 11, 24): 9000}
    auckland = make_user(daily_goal=9000, timezone="Pacific/Auckland")
    los_angeles = make_user(daily_goal=9000, timezone="America/Los_Angeles")
    walked(auckland, goal_days)
    walked(los_angeles, goal_days)
    assert summary(los_angeles)["streak"]["current"] == 3  # its yesterday, the 24th, was a goal day
    assert summary(auckland)["streak"]["current"] == 0  # its yesterday, the 25th, was not
    assert summary(auckland)["date"] == "2026-11-26"


@pytest.mark.django_db
def test_the_streak_ends_only_when_the_users_local_day_ends():
    user = make_user(daily_goal=9000, timezone="America/New_York")  # UTC-5 in November
    walked(user, {date(2026, 11, 23): 9000, date(2026, 11, 24): 9000})
    with time_machine.travel(datetime(2026, 11, 26, 4, 59, tzinfo=UTC), tick=False):  # 23:59 on the 25th
        assert summary(user)["streak"]["current"] == 2
    with time_machine.travel(datetime(2026, 11, 26, 5, 1, tzinfo=UTC), tick=False):  # 00:01 on the 26th
        assert summary(user)["streak"] == {"current": 0, "best": 2}


@pytest.mark.django_db
def test_the_best_day_is_the_highest_and_the_earliest_of_equals():
    user = make_user()
    walked(user, {date(2026, 11, 3): 15000, date(2026, 11, 10): 21000, date(2026, 11, 12): 21000, TODAY: 500})
    assert summary(user)["best_day"] == {"date": "2026-11-10", "steps": 21000}


@pytest.mark.django_db
def test_averages_are_over_the_complete_days_with_data_and_say_how_many():
    user = make_user()
    last_week = {days_before(n): 1000 * n for n in range(1, 8)}  # 1,000 .. 7,000 over the 7 days before today
    older = {days_before(n): 3000 for n in range(8, 31)}  # 23 days
    walked(user, {**last_week, **older, days_before(31): 99_999, TODAY: 50_000})
    body = summary(user)
    assert body["average"]["last_7_days"] == 4000  # 28,000 / 7
    assert body["average"]["last_30_days"] == round((28_000 + 23 * 3000) / 30)
    sparse = make_user()
    walked(sparse, {days_before(1): 7000})
    assert summary(sparse)["average"] == {
        "last_7_days": 7000,
        "last_30_days": 7000,
        "days_counted": {"last_7_days": 1, "last_30_days": 1},
    }
    walked(sparse, {days_before(2): 0})  # a day synced as 0 is a day with data
    assert summary(sparse)["average"]["last_7_days"] == 3500


@pytest.mark.django_db
def test_week_and_month_totals_run_from_monday_and_the_first_through_today():
    user = make_user()
    walked(
        user,
        {
            date(2026, 10, 31): 100_000,  # last month
            date(2026, 11, 1): 1,
            date(2026, 11, 22): 10,  # Sunday, last week
            date(2026, 11, 23): 100,  # Monday
            date(2026, 11, 24): 1000,
            TODAY: 10_000,
            date(2026, 11, 26): 55,  # tomorrow (clock skew) is not counted yet
        },
    )
    assert summary(user)["totals"] == {"this_week": 11_100, "this_month": 11_111}


@pytest.mark.django_db
def test_the_week_starts_on_the_users_own_monday():
    # 15:00 UTC on Sunday the 29th is already Monday the 30th in Tokyo.
    tokyo = make_user(timezone="Asia/Tokyo")
    sunday = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    walked(tokyo, {date(2026, 11, 29): 500, date(2026, 11, 30): 40}, now=sunday)
    with time_machine.travel(sunday, tick=False):
        assert summary(tokyo)["totals"] == {"this_week": 40, "this_month": 540}
