"""/ws/live/: watch people's totals move, within the visibility rules."""

import asyncio
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from accounts.models import Friendship, FriendshipStatus
from pedometer_site.tests.testing import make_user, signed_in, websocket
from steps.broadcasts import access_event, step_event, user_group
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


new_user = database_sync_to_async(make_user)


@database_sync_to_async
def befriend(a, b, status=FriendshipStatus.ACCEPTED):
    Friendship.objects.create(from_user=a, to_user=b, status=status)


@database_sync_to_async
def write(user, steps, day=TODAY):
    return record_steps(user=user, days=[DaySample(day, steps)], now=NOW)


async def watch(access, *users):
    socket = websocket("/ws/live/?users=" + ",".join(str(getattr(u, "uuid", u)) for u in users), token=access)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def subscribed(socket):
    """Reads the two opening messages: what was subscribed, then the snapshot."""
    first = await socket.receive_json_from()
    assert first["type"] == "subscribed"
    snapshot = await socket.receive_json_from()
    assert snapshot["type"] == "snapshot"
    return first, snapshot["totals"]


async def test_watcher_gets_the_subscription_then_each_users_total_for_their_own_today():
    _, access = await signed_in()
    walker = await new_user()
    early_riser = await new_user(timezone="Pacific/Kiritimati")  # UTC+14: already the 26th
    await write(walker, 3000)
    socket = await watch(access, walker, early_riser)
    first, totals = await subscribed(socket)
    assert first == {"type": "subscribed", "users": [str(walker.uuid), str(early_riser.uuid)], "refused": []}
    assert totals == [
        {"user": str(walker.uuid), "date": "2026-11-25", "steps": 3000},
        {"user": str(early_riser.uuid), "date": "2026-11-26", "steps": 0},
    ]
    await socket.disconnect()


async def test_only_users_the_watcher_may_see_are_subscribed_the_rest_are_refused():
    watcher, access = await signed_in()
    public = await new_user()
    friend = await new_user(visibility="friends")
    stranger_friends_only = await new_user(visibility="friends")
    pending_friend = await new_user(visibility="friends")
    private = await new_user(visibility="private")
    await befriend(watcher, friend)
    await befriend(pending_friend, watcher, status=FriendshipStatus.PENDING)
    unknown, malformed = str(uuid.uuid4()), "not-a-uuid"
    socket = await watch(
        access, public, friend, stranger_friends_only, pending_friend, private, unknown, malformed, watcher
    )
    first, totals = await subscribed(socket)
    assert first["users"] == [str(public.uuid), str(friend.uuid), str(watcher.uuid)]
    assert first["refused"] == [
        str(stranger_friends_only.uuid),
        str(pending_friend.uuid),
        str(private.uuid),
        unknown,
        malformed,
    ]
    assert [total["user"] for total in totals] == first["users"]
    # A refused user's changes never reach the socket.
    await write(private, 500)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_write_through_record_steps_reaches_the_watcher_after_commit():
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    await write(walker, 4321)
    assert await socket.receive_json_from(timeout=2) == {
        "type": "steps",
        "user": str(walker.uuid),
        "date": "2026-11-25",
        "steps": 4321,
    }
    # A count that changes nothing (lower) sends nothing.
    await write(walker, 100)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_count_is_rendered_once_and_reaches_each_of_its_watchers_and_no_one_else():
    # With thousands of watchers of one walker, encoding the message once per socket was
    # per-socket CPU on every write: the writer renders it once, each socket forwards it.
    _, first_access = await signed_in()
    _, second_access = await signed_in()
    _, other_access = await signed_in()
    walker, someone_else = await new_user(), await new_user()
    layer = get_channel_layer()
    published = await layer.new_channel()
    await layer.group_add(user_group(walker.uuid), published)
    first, second = await watch(first_access, walker), await watch(second_access, walker)
    other = await watch(other_access, someone_else)
    for socket in (first, second, other):
        await subscribed(socket)
    await write(walker, 4321)
    expected = {"type": "steps", "user": str(walker.uuid), "date": "2026-11-25", "steps": 4321}
    event = await asyncio.wait_for(layer.receive(published), 2)
    assert json.loads(event["text"]) == expected
    assert await first.receive_from(timeout=2) == event["text"]
    assert await second.receive_from(timeout=2) == event["text"]
    assert await other.receive_nothing(timeout=0.3)
    for socket in (first, second, other):
        await socket.disconnect()


async def test_a_sync_does_not_wait_for_a_busy_socket_server_to_tell_its_watchers():
    # The thread a sync runs on is shared by every request of the process. With thousands
    # of sockets the event loop is often busy for a while (a board message is a burst of
    # a thousand sends): a broadcast that waited for the loop held every sync behind it.
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] != "channels_redis.pubsub.RedisPubSubChannelLayer":
        pytest.skip("the Redis pub/sub layer publishes from the sync's thread; the in-memory one cannot")
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    finished: list[float] = []

    def sync() -> None:
        record_steps(user=walker, days=[DaySample(TODAY, 4321)], now=NOW)
        finished.append(time.monotonic())

    syncing = asyncio.create_task(database_sync_to_async(sync)())
    await asyncio.sleep(0)  # the sync starts on its thread
    time.sleep(1.5)  # on purpose: the event loop is busy
    busy_until = time.monotonic()
    await syncing
    assert finished[0] < busy_until
    assert (await socket.receive_json_from(timeout=2))["steps"] == 4321
    await socket.disconnect()


async def test_an_event_from_a_process_on_the_previous_release_reaches_watchers_as_documented():
    # During a rolling deploy, older processes publish events without the rendered text.
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    event = {"type": "steps", "user": str(walker.uuid), "date": "2026-11-25", "steps": 77}
    await get_channel_layer().group_send(user_group(walker.uuid), event)
    assert await socket.receive_json_from(timeout=2) == event
    # Addressed to the group but about someone the socket does not watch: never forwarded.
    stranger = {"type": "steps", "user": str(uuid.uuid4()), "date": "2026-11-25", "steps": 5}
    await get_channel_layer().group_send(user_group(walker.uuid), {**stranger, "text": json.dumps(stranger)})
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_backfilled_day_is_stored_but_not_sent_live():
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    await write(walker, 7000, day=TODAY - timedelta(days=2))
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_count_sent_on_the_steps_socket_reaches_a_watcher_on_another_socket():
    _, watcher_access = await signed_in()
    walker, walker_access = await signed_in()
    watcher = await watch(watcher_access, walker)
    await subscribed(watcher)
    phone = websocket("/ws/steps/", bearer=walker_access)
    assert (await phone.connect())[0]
    await phone.send_json_to({"type": "steps", "date": "2026-11-25", "steps": 2500})
    assert (await phone.receive_json_from())["type"] == "ack"
    assert (await watcher.receive_json_from(timeout=2))["steps"] == 2500
    await phone.disconnect()
    await watcher.disconnect()


async def test_reconnecting_watcher_gets_what_changed_while_away_first():
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    _, totals = await subscribed(socket)
    assert totals[0]["steps"] == 0
    await socket.disconnect()
    await write(walker, 6100)  # while the watcher is away
    socket = await watch(access, walker)
    _, totals = await subscribed(socket)
    assert totals == [{"user": str(walker.uuid), "date": "2026-11-25", "steps": 6100}]
    await write(walker, 6200)
    assert (await socket.receive_json_from(timeout=2))["steps"] == 6200
    await socket.disconnect()


async def test_watching_more_than_100_users_is_refused_with_4400():
    _, access = await signed_in()
    socket = await watch(access, *[uuid.uuid4() for _ in range(101)])
    answer = await socket.receive_json_from()
    assert (answer["type"], answer["code"]) == ("error", "too_many_users")
    assert (await socket.receive_output())["code"] == 4400
    await socket.disconnect()


async def test_anonymous_watcher_is_closed_4401_before_any_data():
    walker = await new_user()
    socket = websocket(f"/ws/live/?users={walker.uuid}")
    assert (await socket.connect())[0]
    output = await socket.receive_output()
    assert (output["type"], output["code"]) == ("websocket.close", 4401)
    await socket.disconnect()


async def test_idle_watcher_still_gets_updates_after_the_channel_layers_blocking_reads_time_out():
    # channels-redis blocks 5 s per read; redis-py 8 gives up after its default 5 s socket
    # timeout unless told otherwise, which used to kill every idle socket (close 1011).
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    await asyncio.sleep(6.5)
    await write(walker, 900)
    assert (await socket.receive_json_from(timeout=2))["steps"] == 900
    await socket.disconnect()


async def test_watcher_is_told_to_come_back_later_with_1013_when_redis_is_down(settings):
    _, access = await signed_in()
    walker = await new_user()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    socket = websocket(f"/ws/live/?users={walker.uuid}", token=access)
    assert (await socket.connect())[0]
    answer = await socket.receive_json_from(timeout=5)
    assert (answer["type"], answer["code"]) == ("error", "service_unavailable")
    assert (await socket.receive_output(timeout=2))["code"] == 1013
    await socket.disconnect()


async def test_a_count_reaches_the_process_once_however_many_of_its_sockets_watch():
    # Each socket used to get its own copy of every group message, decoded and dispatched
    # once per socket: at 10,000 sockets those copies were most of the event loop's time.
    # Now the process decodes it once and writes its frame to every watcher in one pass.
    layer = get_channel_layer()
    if not hasattr(layer, "deserialize"):
        pytest.skip("counts the Redis layer's decoding")
    walker = await new_user()
    sockets = []
    for _ in range(5):
        _, access = await signed_in()
        sockets.append(await watch(access, walker))
        await subscribed(sockets[-1])
    decoded = []
    real_deserialize = layer.deserialize
    layer.deserialize = lambda message: decoded.append(message) or real_deserialize(message)
    try:
        await write(walker, 4321)
        for socket in sockets:
            assert (await socket.receive_json_from(timeout=2))["steps"] == 4321
    finally:
        del layer.deserialize
    assert len(decoded) == 1
    for socket in sockets:
        await socket.disconnect()


@database_sync_to_async
def unfriend(a, b):
    Friendship.objects.filter(from_user=a, to_user=b).delete()


async def test_a_count_right_behind_a_revocation_waits_for_the_check_and_is_dropped_if_it_fails():
    # The check asks the database; a count published after the revocation must not
    # overtake it (one pass writes counts to every watcher, but not past a pending check).
    watcher, access = await signed_in()
    walker = await new_user(visibility="friends")
    await befriend(watcher, walker)
    socket = await watch(access, walker)
    await subscribed(socket)
    await unfriend(watcher, walker)
    layer = get_channel_layer()
    await layer.group_send(user_group(walker.uuid), access_event(walker.uuid))
    await layer.group_send(user_group(walker.uuid), step_event(user=walker, day=TODAY, steps=9999))
    assert await socket.receive_json_from(timeout=2) == {"type": "revoked", "user": str(walker.uuid)}
    assert await socket.receive_nothing(timeout=0.3)
    # The watcher no longer listens for the walker at all.
    await write(walker, 12000)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_count_right_behind_a_check_that_passes_arrives_after_it_and_so_do_the_next():
    _, access = await signed_in()
    walker = await new_user()
    socket = await watch(access, walker)
    await subscribed(socket)
    layer = get_channel_layer()
    await layer.group_send(user_group(walker.uuid), access_event(walker.uuid))  # e.g. a friend of theirs left
    await layer.group_send(user_group(walker.uuid), step_event(user=walker, day=TODAY, steps=9999))
    assert (await socket.receive_json_from(timeout=2))["steps"] == 9999
    await write(walker, 12000)
    assert (await socket.receive_json_from(timeout=2))["steps"] == 12000
    await socket.disconnect()


async def test_the_process_stops_listening_for_a_walker_when_their_last_watcher_leaves():
    layer = get_channel_layer()
    if not hasattr(layer, "deserialize"):
        pytest.skip("asks Redis who listens")
    from infrastructure.redis_clients import sync_client

    walker = await new_user()
    channel = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}__group__{user_group(walker.uuid)}"

    def listeners() -> int:
        return dict(sync_client().pubsub_numsub(channel))[channel.encode()]

    first_access, second_access = (await signed_in())[1], (await signed_in())[1]
    first, second = await watch(first_access, walker), await watch(second_access, walker)
    for socket in (first, second):
        await subscribed(socket)
    assert listeners() == 1  # one subscription for the process, not one a socket
    await first.disconnect()
    assert listeners() == 1
    await write(walker, 500)
    assert (await second.receive_json_from(timeout=2))["steps"] == 500
    await second.disconnect()
    for _ in range(50):
        if listeners() == 0:
            break
        await asyncio.sleep(0.02)
    assert listeners() == 0
