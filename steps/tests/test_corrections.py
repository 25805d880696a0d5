"""Staff corrections: the only way a stored count goes down, always audited."""

from datetime import UTC, date, datetime, timedelta

import pytest

from pedometer_site.tests.testing import make_user
from steps.models import DailySteps, DayTotal, HourlySteps, StepCorrection
from steps.services import (
    DaySample,
    HourSample,
    StaffOnlyError,
    StepsValidationError,
    correct_daily_steps,
    record_steps,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def correct(staff, user, steps, *, source="default", reason="Shaken in a drawer", now=NOW):
    return correct_daily_steps(staff=staff, user=user, day=TODAY, source=source, steps=steps, reason=reason, now=now)


@pytest.mark.django_db
def test_a_correction_lowers_the_count_and_records_who_when_old_new_and_why():
    staff, user = make_user(is_staff=True), make_user()
    record_steps(user=user, days=[DaySample(TODAY, 90_000)], now=NOW)
    later = NOW + timedelta(hours=1)
    change = correct(staff, user, 12_000, now=later)
    assert (change.old_total, change.new_total) == (50_000, 12_000)  # flagged: it counted at the threshold
    assert DayTotal.objects.get(user=user).steps == 12_000
    audit = StepCorrection.objects.get()
    assert (audit.user, audit.day, audit.source) == (user, TODAY, "default")
    assert (audit.old_steps, audit.new_steps, audit.reason) == (90_000, 12_000, "Shaken in a drawer")
    assert (audit.corrected_by, audit.created_at) == (staff, later)


@pytest.mark.django_db
def test_only_staff_can_correct():
    walker, user = make_user(), make_user()
    record_steps(user=user, days=[DaySample(TODAY, 9000)], now=NOW)
    with pytest.raises(StaffOnlyError):
        correct(walker, user, 10)
    assert DayTotal.objects.get(user=user).steps == 9000
    assert not StepCorrection.objects.exists()


@pytest.mark.django_db
def test_a_correction_needs_a_reason_and_a_count_in_range():
    staff, user = make_user(is_staff=True), make_user()
    with pytest.raises(StepsValidationError) as raised:
        correct(staff, user, 10, reason="  ")
    assert "reason" in raised.value.fields
    with pytest.raises(StepsValidationError) as raised:
        correct(staff, user, 100_001)
    assert "steps" in raised.value.fields
    assert not StepCorrection.objects.exists()


@pytest.mark.django_db
def test_the_phone_resending_the_old_count_cannot_undo_a_correction():
    staff, user = make_user(is_staff=True), make_user()
    record_steps(user=user, days=[DaySample(TODAY, 90_000)], now=NOW)
    correct(staff, user, 12_000)
    (change,) = record_steps(user=user, days=[DaySample(TODAY, 90_000)], now=NOW)
    assert change.new_total == 12_000
    assert DailySteps.objects.get(user=user).steps == 12_000


@pytest.mark.django_db
def test_a_correction_clears_the_flag_and_hours_above_the_new_count():
    staff, user = make_user(is_staff=True), make_user()
    hours = [HourSample(datetime(2026, 11, 25, h, tzinfo=UTC), 12_000) for h in range(5)]
    record_steps(user=user, hours=hours, now=NOW)
    assert DailySteps.objects.get(user=user).flagged
    correct(staff, user, 3000)
    row = DailySteps.objects.get(user=user)
    assert (row.steps, row.flagged, row.reviewed_by) == (3000, False, staff)
    assert not HourlySteps.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_correction_is_the_days_for_every_device():
    staff, user = make_user(is_staff=True), make_user()
    record_steps(user=user, days=[DaySample(TODAY, 80_000)], source="glitchy", now=NOW)
    record_steps(user=user, days=[DaySample(TODAY, 7_000)], source="phone", now=NOW)
    change = correct(staff, user, 5_000, source="glitchy")
    assert change.new_total == 5_000
    assert {row.source: row.steps for row in DailySteps.objects.filter(user=user)} == {"glitchy": 5000, "phone": 5000}
