"""infrastructure.sockets.groups.LocalGroups: a process's sockets in a group get
each group message through one subscription, written to all of them in one
pass, in order, without a slow reader holding up the rest."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from infrastructure.sockets.groups import RELAYED, FrameSender, LocalGroups

pytestmark = pytest.mark.asyncio


class Socket(FrameSender):
    fanout_event_types = frozenset({"note"})

    def __init__(self, layer: InMemoryChannelLayer, name: str, gate: asyncio.Event | None = None) -> None:
        self.layer, self.channel_name, self.gate = layer, name, gate
        self.fanout_held = 0
        self.frames: list[str] = []

    async def base_send(self, message: dict) -> None:
        if self.gate is not None:
            await self.gate.wait()  # a reader that has fallen behind: the socket's buffer is full
        self.frames.append(message["text"])

    def group_frame(self, event: dict) -> str | None:
        return event["text"]


async def until(condition, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def member(layer: InMemoryChannelLayer, gate: asyncio.Event | None = None) -> Socket:
    return Socket(layer, await layer.new_channel(), gate)


async def test_a_slow_reader_gets_every_frame_in_order_without_holding_up_the_others():
    layer = InMemoryChannelLayer()
    groups = LocalGroups(layer)
    gate = asyncio.Event()
    slow, quick = await member(layer, gate), await member(layer)
    await groups.join("walkers", slow)
    await groups.join("walkers", quick)
    for text in ("1", "2", "3"):
        await layer.group_send("walkers", {"type": "note", "text": text})
    await until(lambda: quick.frames == ["1", "2", "3"])
    assert slow.frames == []
    gate.set()
    await until(lambda: slow.frames == ["1", "2", "3"])


async def test_an_event_to_handle_in_turn_is_relayed_and_what_follows_waits_behind_it():
    layer = InMemoryChannelLayer()
    groups = LocalGroups(layer)
    socket = await member(layer)
    await groups.join("walkers", socket)
    await layer.group_send("walkers", {"type": "check", "user": "x"})
    await layer.group_send("walkers", {"type": "note", "text": "after the check"})
    relayed = [await asyncio.wait_for(layer.receive(socket.channel_name), 2) for _ in range(2)]
    assert relayed == [
        {"type": "check", "user": "x", RELAYED: True},
        {"type": "note", "text": "after the check", RELAYED: True},
    ]
    assert socket.frames == []
    socket.fanout_held -= 2  # what the socket's dispatch does once it has handled them
    await layer.group_send("walkers", {"type": "note", "text": "straight through"})
    await until(lambda: socket.frames == ["straight through"])


async def test_leaving_stops_the_frames_and_the_last_one_out_unsubscribes_the_process():
    layer = InMemoryChannelLayer()
    groups = LocalGroups(layer)
    first, second = await member(layer), await member(layer)
    await groups.join("walkers", first)
    await groups.join("walkers", second)
    await groups.leave("walkers", first)
    await layer.group_send("walkers", {"type": "note", "text": "1"})
    await until(lambda: second.frames == ["1"])
    assert first.frames == []
    await groups.leave("walkers", second)
    assert groups.members("walkers") == []
    assert not layer.groups.get("walkers")
