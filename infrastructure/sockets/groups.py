"""Sending channel-layer group events from sync code (after a commit), without
waiting for the server's event loop.

``async_to_sync(layer.group_send)`` in a request's thread runs the send on the
process's event loop and blocks the thread until the loop gets to it. That
thread is the one every sync request and socket query of the process shares,
so with thousands of sockets on the loop (a board message is a burst of a
thousand sends) each sync held it for the loop's lag, and syncs queued behind
each other: at 10,000 sockets the REST sync's p50 was 1.5 s and broadcasts
timed out (bench/live.py). With the Redis pub/sub layer a group send is one
``PUBLISH`` of the layer's own encoding to the group's Redis channel, so this
thread publishes it itself, on a plain Redis connection, in one round trip.
Any other layer (in memory, sharded) goes through the loop as before.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import redis
import redis.sentinel
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _pubsub_config() -> dict[str, Any] | None:
    """The default layer's config when it is the Redis pub/sub layer on one host."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if layer.get("BACKEND") != "channels_redis.pubsub.RedisPubSubChannelLayer":
        return None
    config = cast(dict[str, Any], layer.get("CONFIG", {}))
    hosts = config.get("hosts") or ["redis://localhost:6379"]
    return config if len(hosts) == 1 else None  # sharded: the layer picks the shard


def _client(host: Any, timeout: float) -> redis.Redis | None:
    key = repr((host, timeout))
    with _clients_lock:
        if key not in _clients:
            timeouts = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
            if isinstance(host, str):
                client = redis.Redis.from_url(host, **timeouts)
            elif isinstance(host, dict) and "address" in host:
                client = redis.Redis.from_url(host["address"], **timeouts)
            elif isinstance(host, dict) and "sentinels" in host:
                sentinel = redis.sentinel.Sentinel(host["sentinels"], sentinel_kwargs=timeouts)
                client = sentinel.master_for(host["master_name"], db=host.get("db", 0), **timeouts)
            else:
                return None
            _clients[key] = client
        return _clients[key]


def send_to_groups(messages: list[tuple[str, dict]], *, timeout: float) -> None:
    """Sends each (group, event), in order; raises whatever the layer or Redis raises."""
    if not messages:
        return
    config = _pubsub_config()
    client = _client(config.get("hosts", ["redis://localhost:6379"])[0], timeout) if config else None
    layer = get_channel_layer()
    assert layer is not None  # settings always name a layer (in memory when there is no Redis)
    if config is None or client is None:

        async def send() -> None:
            async with asyncio.timeout(timeout):
                for group, event in messages:
                    await layer.group_send(group, event)

        async_to_sync(send)()
        return
    # What channels_redis.pubsub's group_send publishes: its serializer, on the
    # channel it names "<prefix>__group__<group>" (pedometer_site/tests pin it
    # end to end: a write in one process reaches a socket on another).
    prefix = config.get("prefix", "asgi")
    pipe = client.pipeline(transaction=False)
    for group, event in messages:
        pipe.publish(f"{prefix}__group__{group}", cast(Any, layer).serialize(event))
    pipe.execute()
