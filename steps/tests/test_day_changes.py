"""The fan-outs: who hears of a day change (or an account event), in which order, by origin."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.db import transaction
from django.test import TestCase

from accounts.events import (
    account_deactivated,
    account_deleted,
    day_settings_changed,
    friendship_changed,
    visibility_changed,
)
from accounts.friends_services import friend_remove, friend_request_accept, friend_request_send
from infrastructure.fanout import Fanout, Phase
from pedometer_site.tests.testing import make_user, signed_in, websocket
from steps.changes import DayChanges, Origin, day_changes
from steps.services import DaySample, correct_daily_steps, record_steps

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def test_the_registered_handlers_and_their_order_are_pinned():
    # In-transaction handlers run first, then the after-commit ones in this order:
    # watchers before the board index (its write costs two queries more).
    assert day_changes.registered() == [
        ("steps.live_broadcast", Phase.AFTER_COMMIT),
        ("rankings.index", Phase.AFTER_COMMIT),
        ("notifications.goal_reached", Phase.IN_TRANSACTION),
        ("challenges.progress", Phase.AFTER_COMMIT),
    ]
    # Account changes: who may see whom follows at once (live feeds, then boards).
    assert account_deleted.registered() == [
        ("steps.deleted_days", Phase.IN_TRANSACTION),
        ("steps.live_revocation", Phase.AFTER_COMMIT),
        ("rankings.board_revocation", Phase.AFTER_COMMIT),
        ("challenges.leave_boards", Phase.IN_TRANSACTION),
    ]
    assert account_deactivated.registered() == [
        ("steps.live_revocation", Phase.AFTER_COMMIT),
        ("rankings.forget", Phase.AFTER_COMMIT),
    ]
    assert visibility_changed.registered() == [
        ("steps.live_revocation", Phase.AFTER_COMMIT),
        ("rankings.reindex", Phase.AFTER_COMMIT),
        ("rankings.board_revocation", Phase.AFTER_COMMIT),
    ]
    assert friendship_changed.registered() == [("steps.live_revocation", Phase.AFTER_COMMIT)]
    # A new goal re-judges today on the challenge boards that count goal days.
    assert day_settings_changed.registered() == [("challenges.rejudge", Phase.AFTER_COMMIT)]


def test_a_name_registers_once():
    fanout: Fanout[int] = Fanout("test")
    fanout.register("a.b", print, phase=Phase.AFTER_COMMIT)
    with pytest.raises(ValueError, match="registered already"):
        fanout.register("a.b", print, phase=Phase.IN_TRANSACTION)


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_the_changing_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        day_changes.publish(DayChanges(user=make_user(), changes=(), origin=Origin.SYNC, now=NOW))


@pytest.mark.django_db
def test_after_commit_handlers_run_in_order_and_one_failing_stops_neither_the_next_nor_the_change():
    fanout: Fanout[str] = Fanout("test")
    heard: list[str] = []

    def failing(event: str) -> None:
        heard.append(f"failing:{event}")
        raise RuntimeError("boom")

    fanout.register("first", failing, phase=Phase.AFTER_COMMIT)
    fanout.register("second", lambda event: heard.append(f"second:{event}"), phase=Phase.AFTER_COMMIT)
    fanout.register("inside", lambda event: heard.append(f"inside:{event}"), phase=Phase.IN_TRANSACTION)
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        fanout.publish("x")
        assert heard == ["inside:x"]
    assert heard == ["inside:x", "failing:x", "second:x"]


@pytest.mark.django_db
def test_each_path_publishes_its_origin_and_only_the_days_that_changed():
    staff, user = make_user(is_staff=True), make_user()
    heard: list[DayChanges] = []
    day_changes.register("test.listener", heard.append, phase=Phase.IN_TRANSACTION)
    try:
        record_steps(user=user, days=[DaySample(TODAY, 5000)], source="phone", now=NOW)
        record_steps(user=user, days=[DaySample(TODAY, 4000)], source="phone", now=NOW)  # lower: no change
        record_steps(user=user, days=[DaySample(TODAY, 6000)], source="phone", now=NOW, origin=Origin.SOCKET)
        correct_daily_steps(staff=staff, user=user, day=TODAY, source="phone", steps=100, reason="typo", now=NOW)
    finally:
        day_changes._registrations[:] = [r for r in day_changes._registrations if r.name != "test.listener"]
    assert [(event.origin, [(c.old_total, c.new_total) for c in event.changes]) for event in heard] == [
        (Origin.SYNC, [(0, 5000)]),
        (Origin.SOCKET, [(5000, 6000)]),
        (Origin.CORRECTION, [(6000, 100)]),
    ]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_staff_correction_reaches_live_watchers(clock):
    _, access = await signed_in()
    staff, walker = await database_sync_to_async(make_user)(is_staff=True), await database_sync_to_async(make_user)()
    await database_sync_to_async(record_steps)(user=walker, days=[DaySample(TODAY, 9000)], source="phone", now=NOW)
    socket = websocket(f"/ws/live/?users={walker.uuid}", token=access)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "subscribed"
    assert (await socket.receive_json_from())["totals"][0]["steps"] == 9000

    await database_sync_to_async(correct_daily_steps)(
        staff=staff, user=walker, day=TODAY, source="phone", steps=1200, reason="shaken, not walked", now=NOW
    )
    event = await socket.receive_json_from(timeout=5)
    assert event == {"type": "steps", "user": str(walker.uuid), "date": TODAY.isoformat(), "steps": 1200}
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_import_changes_the_day_without_a_live_event_per_day(clock):
    _, access = await signed_in()
    walker = await database_sync_to_async(make_user)()
    socket = websocket(f"/ws/live/?users={walker.uuid}", token=access)
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_json_from()
    await socket.receive_json_from()
    await database_sync_to_async(record_steps)(
        user=walker, days=[DaySample(TODAY, 3000)], now=NOW, origin=Origin.IMPORT
    )
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@pytest.mark.django_db
def test_becoming_and_ending_friends_is_published():
    ann, bo = make_user(), make_user()
    heard = []
    friendship_changed.register("test.listener", heard.append, phase=Phase.IN_TRANSACTION)
    try:
        friend_request_send(user=ann, to_user_id=bo.uuid, now=NOW)
        friend_request_accept(user=bo, from_user_id=ann.uuid, now=NOW)
        friend_remove(user=ann, friend_id=bo.uuid)
    finally:
        friendship_changed._registrations[:] = [
            r for r in friendship_changed._registrations if r.name != "test.listener"
        ]
    assert [({u.pk for u in event.users}, event.now_friends) for event in heard] == [
        ({ann.pk, bo.pk}, True),
        ({ann.pk, bo.pk}, False),
    ]
