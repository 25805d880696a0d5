"""Two real ASGI server processes (uvicorn, as `make run` serves) share the test
database and Redis: a count written through one reaches a watcher on the other."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connections
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pedometer_site.tests.servers import Server, server_env
from pedometer_site.tests.testing import signed_in

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis shared by both processes")


@pytest.fixture(scope="module")
def nodes(django_db_setup):
    """Two uvicorn processes on the test database (the name pytest-django made) and its Redis."""
    assert connections["default"].vendor == "mysql", "the nodes share MariaDB with the test"
    env = server_env(
        REDIS_URL=settings.REDIS_URL,
        REDIS_KEY_PREFIX=settings.REDIS_KEY_PREFIX,
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    started: list[Server] = []
    try:
        for _ in range(2):
            started.append(Server(env=env))
        yield [node.port for node in started]
    finally:
        for node in started:
            node.stop()


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def _watch(port: int, access: str, walker) -> object:
    watcher = await connect(f"ws://127.0.0.1:{port}/ws/live/?users={walker.uuid}&token={access}")
    assert json.loads(await watcher.recv())["users"] == [str(walker.uuid)]
    assert json.loads(await watcher.recv())["type"] == "snapshot"
    return watcher


async def _next_steps(watcher) -> dict:
    async with asyncio.timeout(5):
        return json.loads(await watcher.recv())


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_count_sent_to_one_process_reaches_a_watcher_on_the_other(nodes):
    watching_node, writing_node = nodes
    _, watcher_access = await signed_in()
    walker, walker_access = await signed_in()
    watcher = await _watch(watching_node, watcher_access, walker)
    try:
        async with connect(f"ws://127.0.0.1:{writing_node}/ws/steps/", subprotocols=["bearer", walker_access]) as phone:
            assert phone.subprotocol == "bearer"
            await phone.send(json.dumps({"type": "steps", "date": _today(), "steps": 1234}))
            assert json.loads(await phone.recv())["type"] == "ack"
        update = await _next_steps(watcher)
        assert update == {"type": "steps", "user": str(walker.uuid), "date": _today(), "steps": 1234}
    finally:
        await watcher.close()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_real_server_closes_a_bad_token_with_4401_and_sends_nothing(nodes):
    async with connect(f"ws://127.0.0.1:{nodes[0]}/ws/live/?token=not-a-jwt") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4401


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_rest_sync_on_one_process_reaches_a_watcher_on_the_other(nodes):
    watching_node, writing_node = nodes
    _, watcher_access = await signed_in()
    walker, walker_access = await signed_in()
    watcher = await _watch(watching_node, watcher_access, walker)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{writing_node}/api/v1/steps/sync",
            data=json.dumps({"days": [{"date": _today(), "steps": 4321}]}).encode(),
            headers={"Authorization": f"Bearer {walker_access}", "Content-Type": "application/json"},
            method="POST",
        )
        status = await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=5).status)  # noqa: S310
        assert status == 200
        assert (await _next_steps(watcher))["steps"] == 4321
    finally:
        await watcher.close()
