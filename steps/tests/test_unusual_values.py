"""Plausible but unusual counts are stored, and flagged for staff to review."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from pedometer_site.tests.testing import client_for, make_user
from steps.models import DailySteps, DayTotal, HourlySteps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
URL = "/api/v1/steps/sync"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_a_day_over_fifty_thousand_is_stored_flagged_and_counted_at_fifty_thousand_until_reviewed():
    user = make_user()
    response = client_for(user).post(URL, {"days": [{"date": "2026-11-25", "steps": 50_001}]}, format="json")
    assert response.status_code == 200
    row = DailySteps.objects.get(user=user)
    assert (row.steps, row.flagged) == (50_001, True)
    assert DayTotal.objects.get(user=user).steps == 50_000


@pytest.mark.django_db
def test_fifty_thousand_exactly_is_not_flagged():
    user = make_user()
    client_for(user).post(URL, {"days": [{"date": "2026-11-25", "steps": 50_000}]}, format="json")
    assert DailySteps.objects.get(user=user).flagged is False


@pytest.mark.django_db
def test_an_hour_over_ten_thousand_is_stored_and_flagged():
    user = make_user()
    hours = [{"start": "2026-11-25T08:00:00Z", "steps": 10_001}, {"start": "2026-11-25T09:00:00Z", "steps": 10_000}]
    client_for(user).post(URL, {"days": [], "hours": hours}, format="json")
    assert sorted(HourlySteps.objects.filter(user=user).values_list("steps", "flagged")) == [
        (10_000, False),
        (10_001, True),
    ]


@pytest.mark.django_db
def test_a_reviewed_day_is_flagged_again_when_it_rises_further():
    user = make_user()
    client = client_for(user)
    client.post(URL, {"days": [{"date": "2026-11-25", "steps": 60_000}]}, format="json")
    DailySteps.objects.update(flagged=False, reviewed_at=NOW)
    client.post(URL, {"days": [{"date": "2026-11-25", "steps": 60_000}]}, format="json")
    assert DailySteps.objects.get(user=user).flagged is False
    client.post(URL, {"days": [{"date": "2026-11-25", "steps": 70_000}]}, format="json")
    row = DailySteps.objects.get(user=user)
    assert (row.flagged, row.reviewed_at) == (True, None)
