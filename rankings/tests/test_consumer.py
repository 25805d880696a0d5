"""/ws/rankings/<period>/: a snapshot on connect, then changed rows as people sync."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Visibility
from pedometer_site.asgi import application
from pedometer_site.tests.testing import make_user
from rankings.consumers import CLOSE_BAD_PERIOD

from .boards import REF, rebuilt, walk

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
        "rows": [{"rank": 1, "user": str(ann.uuid), "display_name": "Ann", "steps": 5000}],
    }
    await database_sync_to_async(walk)(bo, 7000)
    rows = {}
    while str(bo.uuid) not in rows:  # the feed may first flush Ann's earlier change
        update = await communicator.receive_json_from(timeout=5)
        assert update["type"] == "rows" and update["key"] == REF.isoformat()
        rows.update({row["user"]: row for row in update["rows"]})
    assert rows[str(bo.uuid)] == {"rank": None, "user": str(bo.uuid), "display_name": "Bo", "steps": 7000}
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
async def test_an_unknown_period_is_closed():
    communicator = socket("/ws/rankings/year/")
    connected, code = await communicator.connect()
    assert not connected and code == CLOSE_BAD_PERIOD
