"""A sync that reaches the goal ends as one push on the phone, through record_steps, the outbox,
the task and the real firebase-admin code; nothing else about the day sends a second one."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from notifications.models import Notification, Status
from pedometer_site.tests.testing import make_user
from steps.services import DaySample, record_steps

from .builders import add_device

# 23:30 UTC is 08:30 on the 26th in Seoul.
NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
SEOUL_TODAY = date(2026, 11, 26)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_tasks")]


@pytest.fixture
def walker():
    user = make_user(password=None, timezone="Asia/Seoul", daily_goal=10_000)
    add_device(user, now=NOW, token="walker-phone", locale="ko-KR")
    return user


def sync(user, day, steps, now=NOW, source="phone"):
    with time_machine.travel(now):
        return record_steps(user=user, days=[DaySample(day, steps)], source=source, now=now)


def test_crossing_the_goal_sends_one_push_and_later_syncs_that_day_send_none(fcm, walker):
    sync(walker, SEOUL_TODAY, 6_000)
    assert fcm.calls == []

    sync(walker, SEOUL_TODAY, 10_250, now=NOW + timedelta(minutes=10))
    sync(walker, SEOUL_TODAY, 14_000, now=NOW + timedelta(hours=2))
    sync(walker, SEOUL_TODAY, 14_000, now=NOW + timedelta(hours=3))  # a retried sync

    (push,) = fcm.delivered
    assert push["token"] == "walker-phone"
    assert push["notification"]["title"] == "일일 목표 달성!"
    assert push["data"] == {"kind": "goal_reached", "day": "2026-11-26", "steps": "10250", "goal": "10000"}
    row = Notification.objects.get(user=walker)
    assert (row.status, row.day, row.attempts) == (Status.SENT, SEOUL_TODAY, 1)
    (message_id,) = row.message_ids.values()
    assert message_id.startswith("projects/")


def test_a_changed_goal_later_that_day_does_not_send_again(fcm, walker):
    sync(walker, SEOUL_TODAY, 10_500)
    walker.daily_goal = 12_000
    walker.save(update_fields=["daily_goal"])
    sync(walker, SEOUL_TODAY, 12_500, now=NOW + timedelta(hours=1))
    walker.daily_goal = 5_000
    walker.save(update_fields=["daily_goal"])
    sync(walker, SEOUL_TODAY, 13_000, now=NOW + timedelta(hours=2))

    assert len(fcm.delivered) == 1


def test_a_late_sync_for_yesterday_sends_yesterdays_push_but_an_older_day_sends_nothing(fcm, walker):
    sync(walker, SEOUL_TODAY - timedelta(days=3), 20_000)
    assert fcm.calls == []

    sync(walker, SEOUL_TODAY - timedelta(days=1), 11_000)

    (push,) = fcm.delivered
    assert push["data"]["day"] == "2026-11-25"


def test_each_walker_gets_their_own_push_for_their_own_day(fcm, walker):
    other = make_user(password=None, timezone="America/New_York")  # still the 25th there
    add_device(other, now=NOW, token="other-phone", locale="en-US")

    sync(walker, SEOUL_TODAY, 10_000)
    sync(other, date(2026, 11, 25), 10_000)

    assert sorted((m["token"], m["data"]["day"]) for m in fcm.delivered) == [
        ("other-phone", "2026-11-25"),
        ("walker-phone", "2026-11-26"),
    ]


def test_two_phones_crossing_the_goal_at_the_same_moment_send_one_push(fcm, walker):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def phone(source: str, steps: int) -> None:
        try:
            barrier.wait(10)
            record_steps(user=walker, days=[DaySample(SEOUL_TODAY, steps)], source=source, now=NOW)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(NOW):
        threads = [threading.Thread(target=phone, args=args) for args in (("iphone", 10_100), ("watch", 10_300))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert errors == []
    assert len(fcm.delivered) == 1
    assert Notification.objects.filter(user=walker).count() == 1
