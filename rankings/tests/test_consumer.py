"""/ws/rankings/<period>/: a snapshot on connect, then changed rows as people sync."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Visibility
from pedometer_site.asgi import application
from pedometer_site.tests.testing import make_user
from rankings.consumers import CLOSE_BAD_PERIOD

from .boards import REF, TODAY, rebuilt, walk

ORIGIN = [(b"origin", b"http://localhost")]


def socket(path: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=ORIGIN)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_snapshot_then_live_rows():
    ann = await database_sync_to_async(make_user)(display_name="Ann")
    bo = await database_sync_to_async(make_user)(display_name="Bo")
    await database_sync_to_async(walk)(ann, 5000)
    communicator = socket(f"/ws/rankings/day/?date={REF.isoformat()}")
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot == {
        "type": "snapshot",
        "period": "day",
        "key": REF.isoformat(),
        "rows": [{"rank": 1, "user": str(ann.uuid), "display_name": "Ann", "steps": 5000, "goal": ann.daily_goal}],
    }
    await database_sync_to_async(walk)(bo, 7000)
    rows = {}
    while str(bo.uuid) not in rows:  # the feed may first flush Ann's earlier change
        update = await communicator.receive_json_from(timeout=5)
        assert update["type"] == "rows" and update["key"] == REF.isoformat()
        rows.update({row["user"]: row for row in update["rows"]})
    assert rows[str(bo.uuid)] == {
        "rank": None,
        "user": str(bo.uuid),
        "display_name": "Bo",
        "steps": 7000,
        "goal": bo.daily_goal,
    }
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_live_rows_carry_the_public_rank_once_the_board_is_indexed():
    ann = await database_sync_to_async(make_user)(display_name="Ann")
    bo = await database_sync_to_async(make_user)(display_name="Bo")
    await database_sync_to_async(walk)(ann, 5000)
    await database_sync_to_async(rebuilt)("day")
    communicator = socket(f"/ws/rankings/day/?date={REF.isoformat()}")
    assert (await communicator.connect())[0]
    await communicator.receive_json_from(timeout=5)
    await database_sync_to_async(walk)(bo, 7000)
    rows = {}
    while str(bo.uuid) not in rows:
        rows.update({row["user"]: row for row in (await communicator.receive_json_from(timeout=5))["rows"]})
    assert (rows[str(bo.uuid)]["rank"], rows[str(bo.uuid)]["steps"]) == (1, 7000)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_hidden_walkers_are_not_broadcast():
    hermit = await database_sync_to_async(make_user)(visibility=Visibility.PRIVATE)
    communicator = socket("/ws/rankings/week/")
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    await database_sync_to_async(walk)(hermit, 9000)
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_unknown_period_is_accepted_then_closed_4400():
    # Closed during the handshake, a real server answers HTTP 403 and the code never arrives.
    communicator = socket("/ws/rankings/year/")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_output(timeout=3)) == {"type": "websocket.close", "code": CLOSE_BAD_PERIOD}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_refused_token_is_accepted_then_closed_4401():
    communicator = socket("/ws/rankings/day/?token=bad")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_signed_in_viewers_board_socket_closes_4401_when_their_account_is_deleted():
    from pedometer_site.tests.testing import PASSWORD, bearer_client, signed_in

    _, access = await signed_in()
    communicator = socket(f"/ws/rankings/day/?token={access}")
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"

    def delete_account() -> int:
        return bearer_client(access).delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code

    assert await database_sync_to_async(delete_account)() == 204
    assert (await communicator.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4401}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_live_rows_reach_watchers_on_the_embedded_default(settings):
    """No Redis at all (SQLite's setup in `make run`): no index, the in-memory
    channel layer and feed; a sync still reaches the board's watchers."""
    settings.REDIS_URL = ""
    settings.REDIS_SENTINELS = []
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    ann = await database_sync_to_async(make_user)(display_name="Ann")
    communicator = socket(f"/ws/rankings/day/?date={REF.isoformat()}")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["rows"] == []
    await database_sync_to_async(walk)(ann, 4_000)
    update = await communicator.receive_json_from(timeout=5)
    assert update["type"] == "rows"
    assert [(row["display_name"], row["steps"]) for row in update["rows"]] == [("Ann", 4_000)]
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_last_seven_days_board_is_live_too():
    ann = await database_sync_to_async(make_user)(display_name="Ann")
    communicator = socket(f"/ws/rankings/rolling7/?date={TODAY.isoformat()}")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["key"] == TODAY.isoformat()
    await database_sync_to_async(walk)(ann, 2_500, TODAY)
    update = await communicator.receive_json_from(timeout=5)
    assert (update["type"], update["period"], update["key"]) == ("rows", "rolling7", TODAY.isoformat())
    assert [(row["display_name"], row["steps"], row["goal"]) for row in update["rows"]] == [
        ("Ann", 2_500, 7 * ann.daily_goal)
    ]
    await communicator.disconnect()
