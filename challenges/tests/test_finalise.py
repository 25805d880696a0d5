"""Provisional, then final: the grace window, the freeze, re-finalising."""

from datetime import timedelta

import pytest

from accounts.services import user_delete
from challenges import services
from challenges.models import Challenge, Finalisation, Kind, Result, State
from pedometer_site.tests.testing import client_for, make_user

from .builders import NOW, days_ago, started, table, walk

pytestmark = pytest.mark.django_db


def ended_lately(*entrants, **fields) -> Challenge:
    """Its last day was the day before yesterday: over in every zone, in its grace window."""
    creator, *others = entrants
    return started(Kind.TOTAL, creator=creator, starts_on=days_ago(6), ends_on=days_ago(2), entrants=others, **fields)


def test_after_the_last_day_the_grace_window_still_takes_late_syncs():
    ada = make_user(display_name="Ada")
    challenge = ended_lately(ada)
    assert challenge.state_at(NOW) == State.GRACE
    walk(ada, 7_000, days_ago(2))  # a phone that synced late
    assert services.finalise_if_due(challenge=challenge, now=NOW) is False
    assert table(challenge) == [(1, "Ada", 7_000)]


def test_the_grace_window_is_configurable():
    ada = make_user(display_name="Ada")
    challenge = ended_lately(ada, grace_hours=0)
    assert services.finalise_if_due(challenge=challenge, now=NOW) is True


def test_a_late_sync_after_finalising_changes_nothing():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = ended_lately(ada, bo)
    walk(ada, 7_000, days_ago(2))
    walk(bo, 6_000, days_ago(2))
    after_grace = challenge.grace_ends_at + timedelta(seconds=1)
    assert services.finalise_due(now=after_grace) == [challenge.pk]
    walk(bo, 9_000, days_ago(2), at=after_grace)
    assert table(challenge) == [(1, "Ada", 7_000), (2, "Bo", 6_000)]


def test_finalising_happens_once_whoever_asks():
    ada = make_user()
    challenge = ended_lately(ada)
    later = challenge.grace_ends_at
    assert services.finalise(challenge=challenge, now=later, trigger="sweep") is True
    assert services.finalise(challenge=Challenge.objects.get(pk=challenge.pk), now=later, trigger="read") is False
    assert Finalisation.objects.filter(challenge=challenge).count() == 1


def test_the_first_read_after_the_grace_window_finalises_on_the_embedded_default():
    ada = make_user()
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    walk(ada, 5_000, days_ago(9))
    response = client_for(ada).get(f"/api/v1/challenges/{challenge.pk}/leaderboard")
    assert response.status_code == 200
    assert response.json()["final"] is True
    assert Finalisation.objects.get(challenge=challenge).trigger == "read"


def test_a_deleted_participant_stays_in_frozen_results_as_former_participant():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = ended_lately(ada, bo)
    walk(bo, 9_000, days_ago(2))
    services.finalise(challenge=challenge, now=challenge.grace_ends_at, trigger="sweep")
    user_delete(user=bo)
    assert table(challenge) == [(1, "former participant", 9_000), (2, "Ada", 0)]


def test_staff_re_finalise_is_audited_and_keeps_former_participants():
    staff = make_user(is_staff=True)
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = ended_lately(ada, bo)
    walk(bo, 9_000, days_ago(2))
    services.finalise(challenge=challenge, now=challenge.grace_ends_at, trigger="sweep")
    user_delete(user=bo)
    walk(ada, 10_000, days_ago(2))  # say a correction landed after the freeze
    services.refinalise(staff=staff, challenge=challenge, reason="correction of day 2", now=NOW)
    assert table(challenge) == [(1, "Ada", 10_000), (2, "former participant", 9_000)]
    audit = Finalisation.objects.filter(challenge=challenge).latest("id")
    assert (audit.trigger, audit.by, audit.reason) == ("staff", staff, "correction of day 2")
    assert Result.objects.filter(challenge=challenge).count() == 2


def test_only_staff_re_finalise():
    ada = make_user()
    challenge = ended_lately(ada, grace_hours=0)
    with pytest.raises(services.PermissionDeniedError):
        services.refinalise(staff=ada, challenge=challenge, reason="", now=NOW)


def test_the_sweep_leaves_running_and_grace_challenges_alone():
    ada = make_user()
    running = started(Kind.TOTAL, creator=ada, starts_on=days_ago(1), ends_on=days_ago(-3))
    grace = ended_lately(ada)
    assert services.finalise_due(now=NOW) == []
    assert running.state_at(NOW) == State.RUNNING and grace.state_at(NOW) == State.GRACE
