"""The live leaderboard feed, coalesced: whatever the write rate and however
many server processes, each board sends at most one message every 250 ms,
carrying the rows that changed in between with their new ranks:

    {"type": "rows", "period": "day", "key": "2026-11-25",
     "rows": [{"rank": 1, "user": "<uuid>", "display_name": "Ann", "steps": 12000}, ...]}

How: writers (after commit) add the users whose totals changed to a "dirty"
set per board in Redis (``note_board_changes``). Each process with watchers
of a board runs a ``BoardFeed`` that every ``TICK_SECONDS`` tries to claim
that board: a Lua script takes the dirty set only if a per-board gate key
(``SET NX PX 250``) was free, so across all processes one claim per board
per 250 ms at most. The claimer reads the rows (``rows_for``, the rankings
selector) and sends one ``group_send`` to the board's group (``group_for``,
``board.<period>.<key>`` unless told otherwise); every
process's consumers forward it to their sockets.

Redis work does not grow with the number of watchers (one claim attempt per
board per process per tick) and nothing is read when no one watches. With
no Redis (the embedded default, one process) the same runs in memory.

Wiring (rankings' consumer of ``/ws/rankings/<period>/``, which joins
``board.<period>`` and shows the board ``key``)::

    feed = BoardFeed(rows_for=public_rows_for, group_for=lambda period, key: board_group(period))
    # connect:    group_add(...) as now, then feed.watch(period, key)
    # disconnect: feed.unwatch(period, key), then group_discard(...)
    # its board_rows handler sends rows_text(event): the event is {"type": "board.rows", "period", "key", "text"}
    # and after commit, instead of a group_send per write:
    note_board_changes(period=period, key=key, users=[str(user.uuid)])
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import redis
import redis.asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from infrastructure import metrics, redis_clients

logger = logging.getLogger(__name__)

INTERVAL_MS = 250
TICK_SECONDS = 0.05
# A board nobody claims (no watchers anywhere) forgets its changes after this.
DIRTY_TTL_MS = 60_000
EVENT_TYPE = "board.rows"  # the consumer's handler: ``board_rows``

RowsFor = Callable[[str, str, list[str]], list[dict] | Awaitable[list[dict]]]

_GROUP_SAFE = re.compile(r"[^A-Za-z0-9_.-]")

# KEYS: dirty set, gate. ARGV: interval in ms. Takes the dirty set only when the
# gate was free, and closes the gate for the interval: one claim per interval.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return {} end
local users = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return users
"""

# KEYS: the dirty set of each board a write touched. ARGV: their lifetime in ms,
# then for each board: n, and n users. One command for all of them: a sync
# touches five live boards, and five SADD + PEXPIRE pairs cost the server and
# Redis five times the per-command work (bench/ingest.py).
_MARK = """
local a = 2
for k = 1, #KEYS do
  local n = tonumber(ARGV[a])
  for i = a + 1, a + n do redis.call('SADD', KEYS[k], ARGV[i]) end
  redis.call('PEXPIRE', KEYS[k], ARGV[1])
  a = a + n + 1
end
return #KEYS
"""


def board_group(period: str, key: str) -> str:
    """The channel-layer group of one board (group names allow only [A-Za-z0-9_.-])."""
    return _GROUP_SAFE.sub("_", f"board.{period}.{key}")


def rows_message(event: dict) -> dict:
    """What a watcher's socket receives for a ``board.rows`` group event."""
    if "text" in event:
        return json.loads(event["text"])
    return {"type": "rows", "period": event["period"], "key": event["key"], "rows": event["rows"]}


def rows_text(event: dict) -> str:
    """The same, as the text frame to send. The claimer renders it once per board
    message, so each of a board's thousands of sockets only forwards it: no JSON
    encoding per socket, and the channel layer decodes one string, not the rows.
    (Events without it come from a process still on the previous release.)"""
    if "text" in event:
        return event["text"]
    return json.dumps(rows_message(event), cls=DjangoJSONEncoder)


# (period, key, public ids of the users whose rows changed)
BoardMark = tuple[str, str, list[str]]


class _RedisBoards:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._sync_client = redis_clients.sync_client(socket_timeout=1, socket_connect_timeout=1)
        # Script: EVALSHA, and only on NOSCRIPT (a restarted or new master) a load and a retry.
        self._mark = self._sync_client.register_script(_MARK)
        self._async_clients: dict[int, Any] = {}

    def _keys(self, period: str, key: str) -> list[str]:
        # One hash tag per board keeps both keys on one slot under Redis Cluster.
        tag = f"{{{period}:{key}}}"
        return [f"{self.prefix}:board-feed:dirty:{tag}", f"{self.prefix}:board-feed:gate:{tag}"]

    def mark(self, marks: list[BoardMark]) -> None:
        keys: list[str] = []
        args: list[str | int] = [DIRTY_TTL_MS]
        for period, key, users in marks:
            keys.append(self._keys(period, key)[0])
            args += [len(users), *users]
        self._mark(keys=keys, args=args)

    async def claim(self, period: str, key: str, interval_ms: int) -> list[str]:
        client = self._client()
        users = await client.eval(_CLAIM, 2, *self._keys(period, key), interval_ms)
        return [user.decode() if isinstance(user, bytes) else user for user in users]

    def _client(self) -> redis.asyncio.Redis:
        # Asyncio clients belong to the loop they were made on.
        loop = id(asyncio.get_running_loop())
        if loop not in self._async_clients:
            self._async_clients = {loop: redis_clients.async_client(socket_timeout=1, socket_connect_timeout=1)}
        return self._async_clients[loop]


class _MemoryBoards:
    """One process, no Redis: the embedded default."""

    def __init__(self) -> None:
        self.dirty: dict[tuple[str, str], set[str]] = {}
        self.gate_until: dict[tuple[str, str], float] = {}

    def mark(self, marks: list[BoardMark]) -> None:
        for period, key, users in marks:
            self.dirty.setdefault((period, key), set()).update(users)

    async def claim(self, period: str, key: str, interval_ms: int) -> list[str]:
        board = (period, key)
        now = time.monotonic()
        if not self.dirty.get(board) or self.gate_until.get(board, 0) > now:
            return []
        self.gate_until[board] = now + interval_ms / 1000
        return sorted(self.dirty.pop(board))


_memory_boards = _MemoryBoards()
_redis_boards: dict[tuple[str, str], _RedisBoards] = {}


def _boards() -> _RedisBoards | _MemoryBoards:
    if not redis_clients.redis_configured():
        return _memory_boards
    where = (redis_clients.where(), settings.REDIS_KEY_PREFIX)
    if where not in _redis_boards:
        _redis_boards[where] = _RedisBoards(settings.REDIS_KEY_PREFIX)
    return _redis_boards[where]


def note_board_changes(*, period: str, key: str, users: Iterable[str]) -> None:
    """Called on commit, for a board a write touched, with the public ids of
    the users whose totals changed. Never raises: the feed is best effort, the
    board itself (and a reconnect's snapshot) is the truth."""
    note_many_board_changes([(period, key, users)])


def note_many_board_changes(changes: Iterable[tuple[str, str, Iterable[str]]]) -> None:
    """``note_board_changes`` for every board a write touched, at once."""
    marks = [(period, key, [str(user) for user in users]) for period, key, users in changes]
    marks = [mark for mark in marks if mark[2]]
    if not marks:
        return
    try:
        _boards().mark(marks)
    except Exception:  # Redis down or slow: watchers miss a tick, the sync stands
        metrics.BOARD_FEED_NOTE_FAILURES.inc()
        boards = ", ".join(f"{period} {key}" for period, key, _ in marks)
        logger.warning("board feed: could not note changes to %s", boards, exc_info=True)


class BoardFeed:
    """One per process. ``rows_for(period, key, user_ids)`` returns the rows to
    send for those users (with their current rank; leave out users who are
    not on the part of the board the page shows, or may not be shown to
    everyone); sync functions run on Django's database thread.
    ``group_for(period, key)`` names the group the consumers joined."""

    def __init__(
        self,
        *,
        rows_for: RowsFor,
        group_for: Callable[[str, str], str] = board_group,
        interval_ms: int = INTERVAL_MS,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.rows_for = rows_for
        self.group_for = group_for
        self.interval_ms = interval_ms
        self.tick_seconds = tick_seconds
        self.watched: Tally[tuple[str, str]] = Tally()
        self._task: asyncio.Task | None = None

    def watch(self, period: str, key: str) -> None:
        """A socket of this process watches the board; starts the ticks if needed."""
        self.watched[(period, key)] += 1
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="board-feed")

    def unwatch(self, period: str, key: str) -> None:
        self.watched[(period, key)] -= 1
        if self.watched[(period, key)] <= 0:
            del self.watched[(period, key)]

    async def flush(self) -> int:
        """One tick: claim and publish every board watched here; returns how many
        messages were sent."""
        sent = await asyncio.gather(*(self._flush_board(period, key) for period, key in list(self.watched)))
        return sum(sent)

    async def _flush_board(self, period: str, key: str) -> int:
        users = await _boards().claim(period, key, self.interval_ms)
        if not users:
            return 0
        rows = await self._rows(period, key, users)
        if not rows:
            return 0
        message = {"type": "rows", "period": period, "key": key, "rows": rows}
        event = {"type": EVENT_TYPE, "period": period, "key": key, "text": json.dumps(message, cls=DjangoJSONEncoder)}
        layer = get_channel_layer()
        assert layer is not None  # settings always name a layer (in memory when there is no Redis)
        await layer.group_send(self.group_for(period, key), event)
        return 1

    async def _rows(self, period: str, key: str, users: list[str]) -> list[dict]:
        if asyncio.iscoroutinefunction(self.rows_for):
            return await self.rows_for(period, key, users)
        rows = await database_sync_to_async(self.rows_for)(period, key, users)
        return cast(list[dict], rows)  # a plain function: its result, not an awaitable

    async def _run(self) -> None:
        failing = False
        while self.watched:
            try:
                await self.flush()
            except Exception:  # Redis or the database hiccuped: try again next tick
                metrics.BOARD_FEED_PUBLISH_FAILURES.inc()
                if not failing:  # once per outage, not twenty times a second
                    logger.warning("board feed: ticks are failing", exc_info=True)
                failing = True
            else:
                failing = False
            await asyncio.sleep(self.tick_seconds)
