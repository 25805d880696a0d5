"""queue_goal_notification: one row per user, day and kind, whatever calls it and however often."""

import threading
import time
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection, transaction

from accounts.models import User
from notifications.models import Kind, Notification, Status
from notifications.services import queue_goal_notification
from pedometer_site.tests.testing import make_user

from .builders import add_device

# 16:00 UTC is already 01:00 on the 26th in Seoul.
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_reaching_the_goal_owes_one_pending_push_with_a_snapshot():
    user = make_user(password=None, daily_goal=8_000)

    queue_goal_notification(user=user, day=date(2026, 11, 25), steps=8_123, now=NOW)

    row = Notification.objects.get(user=user)
    assert (row.day, row.kind, row.status) == (date(2026, 11, 25), Kind.GOAL_REACHED, Status.PENDING)
    assert (row.steps, row.goal, row.attempts) == (8_123, 8_000, 0)
    assert row.next_attempt_at == NOW
    assert row.created_at == NOW


@pytest.mark.django_db
def test_calling_it_again_the_same_day_changes_nothing():
    user = make_user(password=None)
    for steps in (10_000, 10_000, 12_000, 15_000):
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=steps, now=NOW)

    row = Notification.objects.get(user=user)
    assert row.steps == 10_000


@pytest.mark.django_db
def test_changing_the_goal_later_that_day_does_not_owe_a_second_push():
    user = make_user(password=None, daily_goal=10_000)
    queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_500, now=NOW)

    for goal in (12_000, 5_000):
        user.daily_goal = goal
        user.save(update_fields=["daily_goal"])
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=13_000, now=NOW)

    assert Notification.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_below_the_goal_nothing_is_owed():
    user = make_user(password=None, daily_goal=10_000)
    queue_goal_notification(user=user, day=date(2026, 11, 25), steps=9_999, now=NOW)
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "owed"),
    [
        (date(2026, 11, 26), True),  # Seoul's today
        (date(2026, 11, 25), True),  # Seoul's yesterday: a late sync
        (date(2026, 11, 24), False),  # a backfilled day is news to nobody
        (date(2026, 11, 27), False),
    ],
)
def test_only_the_users_local_today_and_yesterday_count(day, owed):
    user = make_user(password=None, timezone="Asia/Seoul")
    queue_goal_notification(user=user, day=day, steps=20_000, now=NOW)
    assert Notification.objects.filter(user=user, day=day).exists() is owed


@pytest.mark.django_db
def test_a_duplicate_inside_the_callers_transaction_leaves_that_transaction_usable():
    user = make_user(password=None)
    with transaction.atomic():
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_000, now=NOW)
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=11_000, now=NOW)
        User.objects.filter(pk=user.pk).update(display_name="Still writing")

    assert User.objects.get(pk=user.pk).display_name == "Still writing"
    assert Notification.objects.filter(user=user).count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW)
def test_the_push_is_queued_after_the_commit_and_only_by_the_call_that_created_the_row(
    fcm, inline_tasks, django_capture_on_commit_callbacks
):
    user = make_user(password=None)
    add_device(user, now=NOW, token="phone")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_000, now=NOW)
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_400, now=NOW)
        assert fcm.calls == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    assert len(fcm.delivered_to("phone")) == 1
    assert Notification.objects.get(user=user).status == Status.SENT


@pytest.mark.django_db
@time_machine.travel(NOW)
def test_when_the_caller_rolls_back_nothing_is_owed_or_sent(fcm, inline_tasks, django_capture_on_commit_callbacks):
    user = make_user(password=None)
    add_device(user, now=NOW, token="phone")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_000, now=NOW)
        raise RuntimeError("the steps write failed")

    assert not Notification.objects.exists()
    assert fcm.calls == []


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOW)
def test_two_transactions_racing_for_the_same_day_make_one_row_and_both_commit(fcm, inline_tasks):
    # Callers without record_steps' lock on the user row, so the two really meet at the unique key.
    user, other_a, other_b = (make_user(password=None) for _ in range(3))
    add_device(user, now=NOW, token="phone")
    first_inserted, let_first_commit = threading.Event(), threading.Event()
    second_started = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_000, now=NOW)
                first_inserted.set()
                let_first_commit.wait(10)
                User.objects.filter(pk=other_a.pk).update(display_name="first")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            with transaction.atomic():
                second_started.set()
                # Blocks on the first one's uncommitted row, then meets the duplicate.
                queue_goal_notification(user=user, day=date(2026, 11, 25), steps=10_200, now=NOW)
                User.objects.filter(pk=other_b.pk).update(display_name="second")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_inserted.wait(10)
    threads[1].start()
    assert second_started.wait(10)
    time.sleep(0.3)  # let the second reach the unique index and wait there
    let_first_commit.set()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert User.objects.get(pk=other_a.pk).display_name == "first"
    assert User.objects.get(pk=other_b.pk).display_name == "second"
    row = Notification.objects.get(user=user)
    assert (row.steps, row.status) == (10_000, Status.SENT)
    assert len(fcm.delivered_to("phone")) == 1
