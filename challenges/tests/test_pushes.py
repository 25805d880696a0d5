"""Challenge pushes through the outbox: each once per (user, challenge, kind, day); quiet hours hold them back."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import TestCase

from accounts.services import user_update
from challenges import pushes, services
from challenges.models import Kind
from challenges.reactions import react_to_day_changes
from notifications.models import Kind as PushKind
from notifications.models import Notification
from notifications.quiet_hours import release_at
from notifications.texts import text_for
from pedometer_site.tests.testing import make_user
from steps.changes import Origin
from steps.services import DayChange, DaySample, record_steps

from .builders import NOW, TODAY, days_ago, started, walk

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0, zone=UTC):
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def pushes_of(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


# --- challenge starts ---------------------------------------------------------


def test_the_start_push_comes_on_the_morning_of_day_one_once():
    ada = make_user(timezone="Asia/Seoul")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=TODAY, ends_on=TODAY + timedelta(days=6))
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    assert pushes.queue_challenge_starts(now=at(TODAY, 7, 59, seoul)) == 0
    assert pushes.queue_challenge_starts(now=at(TODAY, 8, 0, seoul)) == 1
    assert pushes.queue_challenge_starts(now=at(TODAY, 9, 0, seoul)) == 0
    (push,) = pushes_of(ada, PushKind.CHALLENGE_STARTED)
    assert (push.day, push.subject, push.data["challenge"]) == (TODAY, f"challenge:{challenge.pk}", challenge.name)


def test_no_start_push_once_day_one_is_over():
    ada = make_user()
    started(Kind.TOTAL, creator=ada, starts_on=days_ago(1), ends_on=TODAY + timedelta(days=6))
    assert pushes.queue_challenge_starts(now=at(TODAY, 9)) == 0


# --- overtaken -------------------------------------------------------------------


def change(day, old, new):
    return DayChange(day=day, old_total=old, new_total=new, goal=10_000, reached_at=NOW)


def test_overtaking_owes_the_passed_person_one_push_a_day_per_challenge():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-3), entrants=[bo])
    walk(bo, 5_000, days_ago(1))
    walk(ada, 6_000, days_ago(1))  # the steps fan-out runs the reaction after the commit
    walk(bo, 7_000, days_ago(1))
    walk(ada, 8_000, days_ago(1))
    (push,) = pushes_of(bo, PushKind.CHALLENGE_OVERTAKEN)
    assert (push.subject, push.data["rival"]) == (f"challenge:{challenge.pk}", "Ada")
    assert len(pushes_of(ada, PushKind.CHALLENGE_OVERTAKEN)) == 1  # Bo passed her once


def test_an_equal_score_reached_first_is_not_overtaken():
    ada, bo = make_user(), make_user()
    started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-3), entrants=[bo])
    walk(bo, 5_000, days_ago(1))
    walk(ada, 5_000, days_ago(1))
    react_to_day_changes(user=ada, changes=[change(days_ago(1), 0, 5_000)], origin="sync", now=NOW)
    assert not pushes_of(bo, PushKind.CHALLENGE_OVERTAKEN)


def test_an_import_overtakes_nobody():
    ada, bo = make_user(), make_user()
    started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-3), entrants=[bo])
    walk(bo, 5_000, days_ago(1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        record_steps(user=ada, days=[DaySample(days_ago(1), 6_000)], now=NOW, max_age_days=None, origin=Origin.IMPORT)
    assert not pushes_of(bo, PushKind.CHALLENGE_OVERTAKEN)


def test_a_team_passing_another_tells_its_members():
    a, b, c = make_user(), make_user(), make_user()
    challenge = started(Kind.TEAM, creator=a, starts_on=days_ago(2), ends_on=days_ago(-3))
    from .builders import team

    team(challenge, "Reds", a)
    team(challenge, "Blues", b, c)
    walk(b, 5_000, days_ago(1))
    walk(a, 6_000, days_ago(1))
    react_to_day_changes(user=a, changes=[change(days_ago(1), 0, 6_000)], origin="sync", now=NOW)
    assert len(pushes_of(b, PushKind.CHALLENGE_OVERTAKEN)) == len(pushes_of(c, PushKind.CHALLENGE_OVERTAKEN)) == 1


# --- final result ---------------------------------------------------------------


def test_finalising_tells_each_participant_their_place_once():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8), entrants=[bo])
    walk(bo, 5_000, days_ago(9))
    services.finalise_due(now=NOW)
    pushes.queue_final_results(challenge_id=challenge.pk, now=NOW)  # again: nothing new
    (push,) = pushes_of(bo, PushKind.CHALLENGE_FINAL)
    assert (push.data["place"], push.data["count"]) == (1, 2)
    assert pushes_of(ada, PushKind.CHALLENGE_FINAL)[0].data["place"] == 2
    assert text_for(kind=push.kind, locale="en", data=push.data).body == "You finished 1st of 2."
    assert text_for(kind=push.kind, locale="ko-KR", data=push.data).body == "2명 중 1위로 마쳤어요."


def test_a_staff_re_finalise_sends_no_second_result():
    staff, ada = make_user(is_staff=True), make_user()
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    services.finalise_due(now=NOW)
    Notification.objects.all().delete()
    services.refinalise(staff=staff, challenge=challenge, reason="check", now=NOW)
    assert not Notification.objects.exists()


# --- streak at risk ---------------------------------------------------------------


def test_streak_at_risk_in_the_evening_of_an_open_goal_day_after_three_in_a_row():
    keen, new, done = make_user(daily_goal=5_000), make_user(daily_goal=5_000), make_user(daily_goal=5_000)
    for n in (1, 2, 3):
        walk(keen, 6_000, days_ago(n))
        walk(done, 6_000, days_ago(n))
    for n in (1, 2):
        walk(new, 6_000, days_ago(n))
    walk(keen, 1_000, TODAY)
    walk(done, 5_000, TODAY)
    assert pushes.queue_streaks_at_risk(now=at(TODAY, 18, 59)) == 0
    assert pushes.queue_streaks_at_risk(now=at(TODAY, 19)) == 1
    assert pushes.queue_streaks_at_risk(now=at(TODAY, 21)) == 0
    (push,) = pushes_of(keen, PushKind.STREAK_AT_RISK)
    assert push.data == {"streak": 3, "left": 4_000}
    assert text_for(kind=push.kind, locale="en", data=push.data).body.startswith("3 days in a row")


def test_streak_at_risk_judges_each_past_day_by_the_goal_it_had():
    raised, lowered = make_user(daily_goal=5_000), make_user(daily_goal=10_000)
    for n in (1, 2, 3):
        walk(raised, 6_000, days_ago(n))
        walk(lowered, 6_000, days_ago(n))
    user_update(user=raised, daily_goal=8_000, now=NOW)  # from today: the three days keep 5,000
    user_update(user=lowered, daily_goal=5_000, now=NOW)  # the three days stay short of 10,000
    walk(raised, 1_000, TODAY)
    walk(lowered, 1_000, TODAY)
    assert pushes.queue_streaks_at_risk(now=at(TODAY, 19)) == 1
    (push,) = pushes_of(raised, PushKind.STREAK_AT_RISK)
    assert push.data == {"streak": 3, "left": 7_000}
    assert pushes_of(lowered, PushKind.STREAK_AT_RISK) == []
    assert pushes.queue_streaks_at_risk(now=at(TODAY, 21)) == 0


# --- quiet hours ---------------------------------------------------------------------


def test_a_push_due_in_quiet_hours_waits_until_they_end():
    night_owl = make_user(quiet_hours_start=time(22), quiet_hours_end=time(7), timezone="Asia/Seoul")
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    assert release_at(night_owl, at(TODAY, 23, 0, seoul)) == at(TODAY + timedelta(days=1), 7, 0, seoul)
    assert release_at(night_owl, at(TODAY, 6, 30, seoul)) == at(TODAY, 7, 0, seoul)
    assert release_at(night_owl, at(TODAY, 12, 0, seoul)) == at(TODAY, 12, 0, seoul)


def test_quiet_hours_within_one_day_and_none():
    napper = make_user(quiet_hours_start=time(13), quiet_hours_end=time(15))
    assert release_at(napper, at(TODAY, 14)) == at(TODAY, 15)
    assert release_at(napper, at(TODAY, 15)) == at(TODAY, 15)
    always = make_user(quiet_hours_start=time(0), quiet_hours_end=time(0))
    assert release_at(always, at(TODAY, 3)) == at(TODAY, 3)


def test_a_queued_push_in_quiet_hours_is_due_when_they_end():
    sleeper = make_user(quiet_hours_start=time(22), quiet_hours_end=time(7))
    challenge = started(Kind.TOTAL, creator=sleeper, starts_on=TODAY, ends_on=TODAY + timedelta(days=1))
    pushes.queue_overtaken(challenge=challenge, passer=make_user(), rivals=[sleeper], now=at(TODAY, 23))
    (push,) = pushes_of(sleeper, PushKind.CHALLENGE_OVERTAKEN)
    assert push.next_attempt_at == at(TODAY + timedelta(days=1), 7)
