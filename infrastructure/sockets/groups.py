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
import logging
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Protocol, cast

import redis
import redis.sentinel
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

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


# --- Fan-out inside one process ---------------------------------------------------
#
# Channels gives every socket its own queue: a group message that reaches a
# process is put into each member socket's queue, decoded once per socket, and
# each socket's task wakes up, hops through Channels' dispatch loop (two tasks and
# an ``asyncio.wait`` per message), sets the socket's language and sends. For a
# board message to a thousand sockets that was a thousand of each, on the one
# event loop that also serves the process's REST syncs: at 10,000 sockets those
# bursts were most of the loop's time, and the write-to-watcher p99 was seconds
# (bench/live.py). Here a process subscribes to each such group once, decodes
# each message once and writes its frame to every member socket in one pass.
#
# Order is kept: an event a member cannot just forward (a revocation, which asks
# the database) is relayed to the member's own channel and handled in turn by its
# dispatch loop as before, and until the member has handled it every later event
# for it takes the same path, behind it.

RELAYED = "_relayed_by_local_groups"  # marks an event relayed to a member's own channel


class GroupMember(Protocol):
    """What a consumer offers to join groups through ``LocalGroups``."""

    channel_name: str
    # The event types whose frame ``group_frame`` renders; any other type is relayed.
    fanout_event_types: ClassVar[frozenset[str]]
    fanout_held: int  # relayed events not yet handled (``DirectDispatchMixin`` counts them down)

    def group_frame(self, event: dict) -> str | None:
        """The text frame to send for the event (None: nothing for this socket)."""

    def send_frame_now(self, text: str) -> None:
        """Writes the frame without waiting (``FrameSender``)."""


class FrameSender:
    """``send_frame_now`` for consumers: writes a text frame to the socket without
    waiting, so one pass can write a frame to a thousand sockets.

    A send completes without waiting unless the socket's buffer is full (a
    reader that has fallen behind); then that frame, and the frames after it,
    finish in a task of this socket's own, and the pass goes on to the others."""

    _backlog: deque[str] | None = None

    def send_frame_now(self, text: str) -> None:
        if self._backlog is not None:
            self._backlog.append(text)
            return
        send = cast(Callable[[dict], Coroutine[Any, Any, None]], cast(Any, self).base_send)  # the consumer's
        sending = send({"type": "websocket.send", "text": text})
        try:
            waiting_on = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the socket is gone or closing: its own task cleans up
            logger.debug("sockets: a frame could not be sent", exc_info=True)
            return
        self._backlog = deque()
        self._draining = asyncio.ensure_future(self._drain(sending, waiting_on))

    async def _drain(self, sending: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        try:
            await _finish(sending, waiting_on)
            while self._backlog:
                await cast(Any, self).base_send({"type": "websocket.send", "text": self._backlog.popleft()})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("sockets: a frame could not be sent", exc_info=True)
        finally:
            self._backlog = None


async def _finish(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Runs a coroutine that has suspended (on ``waiting_on``) to its end, as the
    task it would have been in would have."""
    try:
        while True:
            if isinstance(waiting_on, asyncio.Future):
                await asyncio.wait([waiting_on])
            else:  # a bare yield (``asyncio.sleep(0)``)
                await asyncio.sleep(0)
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return
    finally:
        coroutine.close()


class _Group:
    __slots__ = ("channel", "members", "ready", "task")

    def __init__(self, ready: asyncio.Future) -> None:
        self.members: dict[GroupMember, None] = {}  # in joining order
        self.ready = ready
        self.channel: str | None = None
        self.task: asyncio.Task | None = None


class LocalGroups:
    """One per event loop and channel layer (``local_groups``): the process's
    members of each group it joined, and one channel-layer subscription per group."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.groups: dict[str, _Group] = {}

    def members(self, group: str) -> list[GroupMember]:
        entry = self.groups.get(group)
        return list(entry.members) if entry is not None else []

    async def join(self, group: str, member: GroupMember) -> None:
        """Returns once the process gets the group's messages (raises what the layer raises)."""
        entry = self.groups.get(group)
        if entry is not None:
            entry.members[member] = None
            try:
                await asyncio.shield(entry.ready)
            except BaseException:
                entry.members.pop(member, None)
                raise
            return
        entry = self.groups[group] = _Group(asyncio.get_running_loop().create_future())
        entry.ready.add_done_callback(_retrieved)
        entry.members[member] = None
        try:
            entry.channel = await self.layer.new_channel()
            entry.task = asyncio.create_task(self._receive(entry, entry.channel), name=f"group {group}")
            await self.layer.group_add(group, entry.channel)
        except BaseException as exc:
            if self.groups.get(group) is entry:
                del self.groups[group]
            if entry.task is not None:
                entry.task.cancel()
            if isinstance(exc, Exception):
                entry.ready.set_exception(exc)
            else:
                entry.ready.cancel()
            raise
        entry.ready.set_result(None)
        if not entry.members:  # everyone left while it subscribed
            await self._unsubscribe(group, entry)

    async def leave(self, group: str, member: GroupMember) -> None:
        entry = self.groups.get(group)
        if entry is None or member not in entry.members:
            return
        del entry.members[member]
        if not entry.members and entry.ready.done():
            await self._unsubscribe(group, entry)

    async def _unsubscribe(self, group: str, entry: _Group) -> None:
        if self.groups.get(group) is not entry:
            return
        del self.groups[group]
        assert entry.task is not None and entry.channel is not None  # set before ready
        entry.task.cancel()  # the layer unsubscribes a channel whose receive is cancelled
        await self.layer.group_discard(group, entry.channel)

    async def _receive(self, entry: _Group, channel: str) -> None:
        while True:
            try:
                event = await self.layer.receive(channel)
                await self.deliver(entry, event)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad message or a hiccup: the next one still goes out
                logger.warning("sockets: could not deliver a group message", exc_info=True)
                await asyncio.sleep(0.1)

    async def deliver(self, entry: _Group, event: dict) -> None:
        kind = event.get("type")
        for member in list(entry.members):
            if member not in entry.members:  # left while a relay below waited
                continue
            if kind in member.fanout_event_types and not member.fanout_held:
                text = member.group_frame(event)
                if text is not None:
                    member.send_frame_now(text)
                continue
            member.fanout_held += 1
            try:
                await self.layer.send(member.channel_name, {**event, RELAYED: True})
            except Exception:
                member.fanout_held -= 1
                logger.warning("sockets: could not relay a %s event to a socket", kind, exc_info=True)


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # whoever joined got it; not "never retrieved"


_local_groups: dict[tuple[int, int], tuple[asyncio.AbstractEventLoop, Any, LocalGroups]] = {}


def local_groups(layer: Any) -> LocalGroups:
    """This event loop's ``LocalGroups`` for ``layer`` (a consumer's ``channel_layer``)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), id(layer))
    found = _local_groups.get(key)
    if found is None or found[0] is not loop or found[1] is not layer:
        for stale in [key for key, (other, _, _) in _local_groups.items() if other.is_closed()]:
            del _local_groups[stale]
        found = _local_groups[key] = (loop, layer, LocalGroups(layer))
    return found[2]
