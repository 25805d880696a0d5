"""The socket server as the image runs it (deploy/docker/entrypoint.sh's web role)."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from websockets.asyncio.client import connect

from pedometer_site.tests.servers import Server, server_env

from .test_deploy import DEPLOY


def image_flags() -> list[str]:
    """The uvicorn options of the web role, less where it listens."""
    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    web = re.search(r"^\s*web\)\n(.*?);;", entrypoint, re.M | re.S).group(1)
    command = shlex.split(re.search(r"exec (uvicorn .*?)\"\$@\"", web, re.S).group(1).replace("\\\n", " "))
    flags, skip = [], False
    for token in command[2:]:
        if skip:
            skip = False
        elif token in ("--host", "--port"):
            skip = True
        else:
            flags.append(token)
    return flags


@pytest.fixture(scope="module")
def node(django_db_setup):
    env = server_env(REDIS_URL="", ALLOWED_HOSTS="127.0.0.1,localhost")
    env.pop("REDIS_URL")
    server = Server(env=env, flags=image_flags())
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_sockets_are_not_compressed_even_when_the_client_offers_it(node):
    """A compressor per socket cost half of a socket's memory (bench/live.py);
    frames of about 100 bytes gain nothing from it. Browsers offer
    permessage-deflate on every socket: the server declines, and the socket
    works uncompressed."""
    async with connect(f"ws://127.0.0.1:{node.port}/ws/rankings/day/", compression="deflate") as socket:
        assert socket.response.headers.get("Sec-WebSocket-Extensions") is None
        snapshot = json.loads(await socket.recv())
        assert snapshot["type"] == "snapshot"
