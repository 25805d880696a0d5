"""/ws/rankings/<period>/: a snapshot on connect, then changed rows as people sync."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Visibility
from pedometer_site.asgi import application
from pedometer_site.testing import make_user
from rankings.consumers import CLOSE_BAD_PERIOD

from .boards import REF, walk

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
    update = await communicator.receive_json_from(timeout=5)
    assert update["type"] == "rows" and update["key"] == REF.isoformat()
    assert [(r["user"], r["steps"]) for r in update["rows"]] == [(str(bo.uuid), 7000)]
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
