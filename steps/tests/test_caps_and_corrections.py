"""What a cheater tries through the API: a day lifted past the cap by its
hours, an unusual day at the top of the board, a corrected day raised again
from another device. Boards, history and summaries read the same capped day."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.models import DailySteps, DayTotal, HourlySteps
from steps.services import correct_daily_steps, review_flagged_days

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 00:00 on the 26th in Seoul
YESTERDAY = date(2026, 11, 25)  # in Seoul
SYNC = "/api/v1/steps/sync"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def hours_of(day: date, steps: int, count: int = 24) -> list[dict]:
    return [{"start": f"{day.isoformat()}T{hour:02d}:00:00+09:00", "steps": steps} for hour in range(count)]


def day_board(client) -> list[tuple[str, int]]:
    rows = client.get(f"/api/v1/rankings/day?date={YESTERDAY.isoformat()}").json()["entries"]
    return [(row["display_name"], row["steps"]) for row in rows]


@pytest.mark.django_db
def test_hours_that_add_up_past_what_a_day_can_hold_are_refused_and_nothing_moves():
    cheater, honest = make_user(timezone="Asia/Seoul"), make_user(timezone="Asia/Seoul")
    assert (
        client_for(honest).post(SYNC, {"days": [{"date": "2026-11-25", "steps": 9000}]}, format="json").status_code
        == 200
    )

    response = client_for(cheater).post(
        SYNC, {"source": "p", "days": [], "hours": hours_of(YESTERDAY, 15_000)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "hours": ["The hours of 2026-11-25 add up to more than 100,000 steps a day."]
    }
    assert not DayTotal.objects.filter(user=cheater).exists()
    assert not HourlySteps.objects.filter(user=cheater).exists()
    assert day_board(client_for(honest)) == [(honest.display_name, 9000)]


@pytest.mark.django_db
def test_hours_sent_over_several_syncs_are_capped_together():
    user = make_user(timezone="Asia/Seoul")
    phone = client_for(user)
    first, second = hours_of(YESTERDAY, 8000)[:12], hours_of(YESTERDAY, 8000)[12:]  # 96,000, then 192,000
    assert phone.post(SYNC, {"source": "p", "days": [], "hours": first}, format="json").status_code == 200
    assert phone.post(SYNC, {"source": "p", "days": [], "hours": second}, format="json").status_code == 400
    assert DailySteps.objects.get(user=user).steps == 96_000


@pytest.mark.django_db
def test_an_unusual_day_ranks_at_the_review_threshold_until_staff_let_it_stand():
    staff, runner, walker = make_user(is_staff=True), make_user(timezone="Asia/Seoul"), make_user(timezone="Asia/Seoul")
    client_for(runner).post(SYNC, {"days": [{"date": "2026-11-25", "steps": 90_000}]}, format="json")
    client_for(walker).post(SYNC, {"days": [{"date": "2026-11-25", "steps": 50_000}]}, format="json")

    board = day_board(client_for(walker))
    assert sorted(steps for _, steps in board) == [50_000, 50_000]  # the runner no higher than the threshold
    history = client_for(runner).get("/api/v1/steps/days?from=2026-11-25&to=2026-11-25").json()["days"]
    assert history[0]["steps"] == 50_000

    review_flagged_days(staff=staff, ids=[DailySteps.objects.get(user=runner).pk], now=NOW)

    assert day_board(client_for(walker))[0] == (runner.display_name, 90_000)
    assert DayTotal.objects.get(user=runner).steps == 90_000


@pytest.mark.django_db
def test_a_correction_holds_against_every_device_and_their_hours():
    staff, user = make_user(is_staff=True), make_user(timezone="Asia/Seoul")
    phone = client_for(user)
    phone.post(SYNC, {"source": "p", "days": [], "hours": hours_of(YESTERDAY, 4000)}, format="json")  # 96,000
    correct_daily_steps(staff=staff, user=user, day=YESTERDAY, source="p", steps=10_000, reason="Shaker", now=NOW)
    assert not HourlySteps.objects.filter(user=user).exists()

    for source in ("other-device", "p"):
        response = phone.post(
            SYNC,
            {"source": source, "days": [{"date": "2026-11-25", "steps": 96_000}], "hours": hours_of(YESTERDAY, 4000)},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["days"][0]["steps"] == 10_000

    assert DayTotal.objects.get(user=user).steps == 10_000
    assert set(DailySteps.objects.filter(user=user).values_list("source", "steps")) == {
        ("p", 10_000),
        ("other-device", 10_000),
    }
    assert not HourlySteps.objects.filter(user=user).exists()  # a corrected day takes no hours
    assert phone.get("/api/v1/steps/summary").json()["totals"]["this_week"] == 10_000
    # Other days are untouched by it.
    other_day = (YESTERDAY - timedelta(days=1)).isoformat()
    phone.post(SYNC, {"source": "p", "days": [{"date": other_day, "steps": 20_000}]}, format="json")
    assert DayTotal.objects.get(user=user, day=other_day).steps == 20_000


@pytest.mark.django_db
def test_a_traveller_syncs_an_hour_recorded_in_seoul_after_moving_the_profile_to_kolkata():
    user = make_user(timezone="Asia/Seoul")
    phone = client_for(user)
    assert phone.patch("/api/v1/me", {"timezone": "Asia/Kolkata"}, format="json").status_code == 200

    response = phone.post(
        SYNC,
        {
            "days": [{"date": "2026-11-25", "steps": 7000}],
            "hours": [{"start": "2026-11-25T10:00:00+09:00", "steps": 900}],
        },
        format="json",
    )

    assert response.status_code == 200
    hour = HourlySteps.objects.get(user=user)
    assert (hour.hour_start, hour.day) == (datetime(2026, 11, 25, 1, tzinfo=UTC), YESTERDAY)  # the Seoul day
    assert DayTotal.objects.get(user=user, day=YESTERDAY).steps == 7000
    # Seoul's 00:00-01:00 on the 26th is 20:30-21:30 on the 25th in Kolkata, and still the 26th's hour.
    late = phone.post(SYNC, {"days": [], "hours": [{"start": "2026-11-26T00:00:00+09:00", "steps": 40}]}, format="json")
    assert late.status_code == 200
    assert HourlySteps.objects.get(user=user, steps=40).day == date(2026, 11, 26)
