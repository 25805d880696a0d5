"""/ws/challenges/<id>/: a snapshot on connect, then coalesced rows as participants' days change."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import tokens_for
from challenges.consumers import CLOSE_NOT_FOUND
from challenges.models import Kind
from infrastructure.sockets.auth import CLOSE_UNAUTHENTICATED
from pedometer_site.asgi import application
from pedometer_site.tests.testing import make_user

from .builders import days_ago, started, walk

ORIGIN = [(b"origin", b"http://localhost")]


def socket(path: str, user=None) -> WebsocketCommunicator:
    if user is not None:
        path += f"?token={tokens_for(user).access}"
    return WebsocketCommunicator(application, path, headers=ORIGIN)


@database_sync_to_async
def two_walkers():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-3), entrants=[bo])
    walk(ada, 5_000, days_ago(1))
    return ada, bo, challenge


@database_sync_to_async
def bo_walks(bo, steps):
    walk(bo, steps, days_ago(1))  # the steps fan-out tells the board after the commit


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_snapshot_then_live_rows():
    ada, bo, challenge = await two_walkers()
    communicator = await database_sync_to_async(socket)(f"/ws/challenges/{challenge.pk}/", ada)
    assert (await communicator.connect())[0]
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot" and snapshot["challenge"] == challenge.pk
    assert [(e["name"], e["score"]) for e in snapshot["entries"]] == [("Ada", 5_000), ("Bo", 0)]
    assert snapshot["me"]["rank"] == 1
    await bo_walks(bo, 7_000)
    rows = {}
    while "Bo" not in rows:  # the feed may first flush Ada's earlier change
        update = await communicator.receive_json_from(timeout=5)
        assert (update["type"], update["period"], update["key"]) == ("rows", "challenge", str(challenge.pk))
        rows.update({row["name"]: row for row in update["rows"]})
    row = rows["Bo"]
    assert (row["scope"], row["name"], row["rank"], row["score"]) == ("people", "Bo", 1, 7_000)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_signed_out_and_unseen_challenges_are_refused():
    ada, _, challenge = await two_walkers()
    communicator = socket(f"/ws/challenges/{challenge.pk}/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)
    communicator = await database_sync_to_async(socket)("/ws/challenges/999999/", ada)
    connected, code = await communicator.connect()
    assert (connected, code) == (False, CLOSE_NOT_FOUND)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_final_challenge_sends_its_frozen_table():
    @database_sync_to_async
    def ended():
        ada = make_user(display_name="Ada")
        challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
        walk(ada, 3_000, days_ago(9))
        return ada, challenge

    ada, challenge = await ended()
    communicator = await database_sync_to_async(socket)(f"/ws/challenges/{challenge.pk}/", ada)
    assert (await communicator.connect())[0]
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["final"] is True and snapshot["entries"][0]["score"] == 3_000
    await communicator.disconnect()
