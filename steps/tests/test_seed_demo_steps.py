"""`make run`'s demo data: a month of steps for every walker, and friends."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Friendship, FriendshipStatus, User
from steps.models import DailySteps, DayTotal, HourlySteps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def snapshot() -> tuple:
    return (
        sorted(DayTotal.objects.values_list("user", "day", "steps")),
        HourlySteps.objects.count(),
        sorted(Friendship.objects.values_list("from_user", "to_user", "status")),
    )


@pytest.mark.django_db
def test_demo_walkers_get_thirty_days_of_steps_and_friends_and_a_second_run_adds_nothing():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        first = snapshot()
        call_command("seed_demo", stdout=io.StringIO())
    walkers = User.objects.filter(email__startswith="walker")
    assert walkers.count() == 150
    assert DailySteps.objects.filter(user__in=walkers).count() == 150 * 30
    assert DayTotal.objects.filter(steps__gt=0).count() > 120 * 30
    assert Friendship.objects.filter(status=FriendshipStatus.ACCEPTED).count() == 450
    assert not DailySteps.objects.filter(flagged=True).exists()
    assert snapshot() == first
    # Seoul's walkers and a second staff account show the Korean side of the demo.
    assert set(walkers.filter(timezone="Asia/Seoul").values_list("language", flat=True)) == {"ko"}
    assert User.objects.get(email="staff-ko@example.com").language == "ko"
