"""The board feed coalesces: at most one message per board per window, across
processes, carrying every row that changed in between."""

import asyncio
import itertools
import json
import time

import pytest
from channels.layers import get_channel_layer

from infrastructure import metrics
from rankings.board_feed import BoardFeed, board_group, note_board_changes, rows_message, rows_text

pytestmark = pytest.mark.asyncio

PERIOD, KEY = "day", "2026-11-25"


class Board:
    """Stands in for the rankings selector: ranks users by a dict of totals."""

    def __init__(self) -> None:
        self.steps: dict[str, int] = {}
        self.asked: list[list[str]] = []

    def set(self, user: str, steps: int) -> None:
        self.steps[user] = steps
        note_board_changes(period=PERIOD, key=KEY, users=[user])

    async def rows_for(self, period: str, key: str, users: list[str]) -> list[dict]:
        assert (period, key) == (PERIOD, KEY)
        self.asked.append(sorted(users))
        ranking = sorted(self.steps, key=lambda user: -self.steps[user])
        return [
            {"rank": ranking.index(user) + 1, "user": user, "display_name": user.title(), "steps": self.steps[user]}
            for user in sorted(users, key=ranking.index)
        ]


async def listener():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(board_group(PERIOD, KEY), channel)
    return layer, channel


async def next_message(layer, channel, timeout=2.0) -> dict:
    return rows_message(await asyncio.wait_for(layer.receive(channel), timeout))


async def nothing_within(layer, channel, seconds: float) -> bool:
    try:
        await asyncio.wait_for(layer.receive(channel), seconds)
    except TimeoutError:
        return True
    return False


async def test_changes_within_one_window_leave_as_one_message_with_their_new_ranks():
    layer, channel = await listener()
    board = Board()
    feed = BoardFeed(rows_for=board.rows_for, interval_ms=1000)
    feed.watched[(PERIOD, KEY)] = 1  # watched here, ticks driven by hand
    board.set("ann", 5000)
    board.set("bob", 7000)
    board.set("ann", 9000)
    assert await feed.flush() == 1
    assert await next_message(layer, channel) == {
        "type": "rows",
        "period": PERIOD,
        "key": KEY,
        "rows": [
            {"rank": 1, "user": "ann", "display_name": "Ann", "steps": 9000},
            {"rank": 2, "user": "bob", "display_name": "Bob", "steps": 7000},
        ],
    }
    # Within the window a new change waits, then leaves alone.
    board.set("cat", 8000)
    assert await feed.flush() == 0
    await asyncio.sleep(1.1)
    assert await feed.flush() == 1
    assert (await next_message(layer, channel))["rows"] == [
        {"rank": 2, "user": "cat", "display_name": "Cat", "steps": 8000}
    ]
    assert board.asked == [["ann", "bob"], ["cat"]]
    # Nothing changed: nothing read, nothing sent.
    await asyncio.sleep(1.1)
    assert await feed.flush() == 0
    assert len(board.asked) == 2


async def test_two_processes_send_at_most_one_message_per_250_ms_and_lose_no_change():
    layer, channel = await listener()
    board = Board()
    claims: list[float] = []
    delivered: set[str] = set()

    async def rows_for(period, key, users):
        claims.append(time.monotonic())
        return await board.rows_for(period, key, users)

    async def collect():
        while True:
            message = rows_message(await layer.receive(channel))
            delivered.update(row["user"] for row in message["rows"])

    collector = asyncio.create_task(collect())
    # Two processes' feeds, both watching the board, sharing Redis.
    feeds = [BoardFeed(rows_for=rows_for, tick_seconds=0.01) for _ in range(2)]
    for feed in feeds:
        feed.watch(PERIOD, KEY)
    started = time.monotonic()
    for n in range(100):  # a write about every 10 ms for a second
        board.set(f"walker{n % 40}", 1000 + n)
        await asyncio.sleep(0.01)
    writing = time.monotonic() - started
    await asyncio.sleep(0.5)  # the last window drains
    for feed in feeds:
        feed.unwatch(PERIOD, KEY)
    collector.cancel()

    assert delivered == set(board.steps)
    assert 3 <= len(claims) <= writing / 0.25 + 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(claims)]
    # 250 ms apart at Redis; the round trip back from Redis may jitter a little.
    assert min(gaps) > 0.2


async def test_noting_a_change_never_fails_when_redis_is_down(settings, caplog):
    # Nothing listens on port 1.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    before = metrics.BOARD_FEED_NOTE_FAILURES._value.get()
    note_board_changes(period=PERIOD, key=KEY, users=["ann"])
    assert metrics.BOARD_FEED_NOTE_FAILURES._value.get() == before + 1
    assert "could not note" in caplog.text


async def test_embedded_default_without_redis_coalesces_in_memory(settings):
    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer, channel = await listener()
    board = Board()
    feed = BoardFeed(rows_for=board.rows_for, interval_ms=1000)
    feed.watched[(PERIOD, KEY)] = 1
    board.set("ann", 100)
    board.set("bob", 200)
    assert await feed.flush() == 1
    assert [row["user"] for row in (await next_message(layer, channel))["rows"]] == ["bob", "ann"]
    board.set("ann", 300)
    assert await feed.flush() == 0


async def test_the_claimer_renders_the_message_once_and_every_socket_sends_that_text():
    # A board watched by thousands of sockets: one JSON encoding per message, not one per socket.
    layer, channel = await listener()
    board = Board()
    feed = BoardFeed(rows_for=board.rows_for, interval_ms=1000)
    feed.watched[(PERIOD, KEY)] = 1
    board.set("ann", 5000)
    assert await feed.flush() == 1
    event = await asyncio.wait_for(layer.receive(channel), 2)
    assert "rows" not in event  # the channel layer carries the frame, not the rows to encode again
    assert json.loads(rows_text(event)) == {
        "type": "rows",
        "period": PERIOD,
        "key": KEY,
        "rows": [{"rank": 1, "user": "ann", "display_name": "Ann", "steps": 5000}],
    }


async def test_a_rows_event_from_a_process_on_the_previous_release_is_still_sent():
    rows = [{"rank": 1, "user": "ann", "display_name": "Ann", "steps": 5000}]
    event = {"type": "board.rows", "period": PERIOD, "key": KEY, "rows": rows}
    assert json.loads(rows_text(event)) == {"type": "rows", "period": PERIOD, "key": KEY, "rows": rows}
