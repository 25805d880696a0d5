"""The leaderboard index: every Redis key and command the rankings use.

Each board (``BoardKey``) has, under one hash tag so a cluster keeps them
together:

- ``…:users``  hash: user pk -> member, for every user on the board;
- ``…:pub``    sorted set of the members of *public* users only;
- ``…:ready``  set once a rebuild from MySQL has filled the two above;
- ``…:building`` / ``…:pub:tmp`` / ``…:users:tmp`` while a rebuild runs.

A member is 31 hex characters that sort in board order: steps (inverted,
so more steps sort first), then when the total was reached (earlier first),
then the user pk (lower first). Every score is 0, so Redis orders the set
purely by member, exactly like SQL's ``ORDER BY steps DESC, reached_at,
user_id``; ranks come from ``ZLEXCOUNT`` over the 6-character steps prefix.

Writes are absolute (a member replaces the old one, never an increment) and,
unless forced, max-wins: a member that sorts after the stored one (fewer
steps) is ignored, so repeated and reordered writes are harmless. Writes go
only to boards that are ready (and, during a rebuild, to its temporary
keys as well), so a board never holds half an index.

When Redis cannot be reached every function here raises ``IndexUnavailable``
quickly (short socket timeouts, then a short circuit breaker), and callers
answer from SQL.

After a Sentinel failover the new master is the old replica, which may lack
the last writes the old master took (replication is asynchronous). So on its
first contact, and on the first contact after a lost connection, a process
compares the master's replication id with the one the boards were last
vouched for under (``…:rank:replid``); a new id means a new master, and every
board loses its "ready" marker: readers answer from SQL and each board is
rebuilt from MySQL, once, by whichever process saw it first.
"""

from __future__ import annotations

import logging
import secrets
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from infrastructure import metrics, redis_clients

from .periods import BoardKey

logger = logging.getLogger(__name__)

STEPS_CEILING = 0xFFFFFF  # a month of 31 x 100,000 steps fits with room to spare
_STEPS_DIGITS, _TIME_DIGITS, _PK_DIGITS = 6, 13, 12
BUILD_LEASE_MS = 120_000
REPAIR_MARKER_SECONDS = 60
BREAKER_SECONDS = 2.0

# Fallbacks to SQL in this process, by reason ("redis_down", "not_ready");
# Prometheus gets the total as pedometer_ranking_fallbacks_total.
fallbacks: Counter[str] = Counter()


def count_fallback(reason: str) -> None:
    fallbacks[reason] += 1
    metrics.RANKING_FALLBACKS.inc()


class IndexUnavailable(Exception):  # noqa: N818 - a condition the callers route around, not an error
    """The index cannot answer; ``reason`` is "disabled", "redis_down" or "not_ready"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Standing:
    """One user's place on a board, as the index stores it."""

    pk: int
    steps: int
    member: str


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_member(*, steps: int, reached_at: datetime, pk: int) -> str:
    # Exact integer microseconds: a float timestamp would round the last digit.
    micros = (reached_at - _EPOCH) // _MICROSECOND
    return f"{STEPS_CEILING - steps:06x}{micros:013x}{pk:012x}"


def decode_member(member: str | bytes) -> Standing:
    text = member.decode() if isinstance(member, bytes) else member
    steps = STEPS_CEILING - int(text[:_STEPS_DIGITS], 16)
    return Standing(pk=int(text[_STEPS_DIGITS + _TIME_DIGITS :], 16), steps=steps, member=text)


def steps_prefix(steps: int) -> str:
    """Every member with more than ``steps`` sorts strictly before this."""
    return f"{STEPS_CEILING - steps:06x}"


@dataclass(frozen=True)
class BoardKeys:
    pub: str
    users: str
    ready: str
    building: str
    pub_tmp: str
    users_tmp: str
    repair: str

    @property
    def all(self) -> list[str]:
        return [self.pub, self.users, self.ready, self.building, self.pub_tmp, self.users_tmp]


def keys_for(board: BoardKey) -> BoardKeys:
    base = f"{settings.REDIS_KEY_PREFIX}:rank:{{{board.period}:{board.label}}}"
    return BoardKeys(
        pub=f"{base}:pub",
        users=f"{base}:users",
        ready=f"{base}:ready",
        building=f"{base}:building",
        pub_tmp=f"{base}:pub:tmp",
        users_tmp=f"{base}:users:tmp",
        repair=f"{base}:repair",
    )


# --- Connection, breaker ------------------------------------------------------

_clients: dict[str, redis.Redis] = {}
_down_until: dict[str, float] = {}
# Boards whose write failed while Redis was unreachable: on the next successful
# contact their "ready" marker is dropped, so readers go to SQL and the board is
# rebuilt instead of serving totals that miss those writes.
_stale_ready_keys: set[str] = set()
# Redis instances (by ``where()``) whose master this process has not checked
# since it last lost them: it may be a new master that lost writes.
_master_verified: set[str] = set()


def enabled() -> bool:
    return redis_clients.redis_configured()


def _client() -> redis.Redis:
    url = redis_clients.where()
    if url not in _clients:
        timeout = settings.RANKINGS_REDIS_TIMEOUT_MS / 1000
        _clients[url] = redis_clients.sync_client(
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # One immediate retry covers a pooled connection that went stale
            # when Redis restarted; more would only delay the SQL answer.
            retry=Retry(NoBackoff(), 1),
            decode_responses=True,
        )
    return _clients[url]


def reset_state() -> None:
    """Forgets this process's breaker, stale boards and fallback counts (tests)."""
    _down_until.clear()
    _stale_ready_keys.clear()
    fallbacks.clear()


@contextmanager
def _redis(stale_on_failure: Sequence[str] = ()) -> Iterator[redis.Redis]:
    if not enabled():
        raise IndexUnavailable("disabled")
    url = redis_clients.where()
    if _down_until.get(url, 0) > time.monotonic():
        _stale_ready_keys.update(stale_on_failure)
        raise IndexUnavailable("redis_down")
    client = _client()
    try:
        if url not in _master_verified:
            _forget_boards_if_new_master(client)
            _master_verified.add(url)
        if _stale_ready_keys:
            stale = list(_stale_ready_keys)
            client.delete(*stale)
            _stale_ready_keys.difference_update(stale)
        yield client
    except redis.RedisError as exc:
        _stale_ready_keys.update(stale_on_failure)
        if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
            _down_until[url] = time.monotonic() + BREAKER_SECONDS
            _master_verified.discard(url)
            logger.warning("rankings index unreachable: %s", exc)
        else:  # a bug or a full Redis: still never the user's problem
            logger.exception("rankings index error")
        raise IndexUnavailable("redis_down") from exc


# Other boards kept in this Redis (challenges' boards) share the breaker, the
# stale-marker bookkeeping and the new-master check: their keys live under
# ``…:rank:`` too, so a failover drops their "ready" markers with these.
connection = _redis


def _replid_key() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:rank:replid"


def _forget_boards_if_new_master(client: redis.Redis) -> None:
    """A master under a replication id the boards were not vouched for under
    (a promoted replica, or a restarted Redis) may miss writes: every board
    loses its "ready" marker (and any repair marker, whose task may have died
    with the old master), so each is read from SQL and rebuilt."""
    replid = client.info("replication").get("master_replid")
    vouched = client.get(_replid_key())
    if not replid or vouched == replid:
        return
    if vouched is None:  # a first contact, or an emptied Redis (nothing is ready there either)
        client.set(_replid_key(), replid)
        return
    pattern = f"{settings.REDIS_KEY_PREFIX}:rank:*"
    stale = [key for key in client.scan_iter(match=pattern, count=1000) if key.endswith((":ready", ":repair"))]
    if stale:
        client.delete(*stale)
        logger.warning("rankings index: a new Redis master (%s); %d boards will be rebuilt", replid, len(stale))
    client.set(_replid_key(), replid)


# --- Lua: each runs atomically in Redis ---------------------------------------

# Any number of boards in one call: a one-day sync moves ten (its day, week and
# month, and the seven rolling windows holding it), and ten script calls cost
# the server and Redis ten times the per-command work of one (bench/ingest.py).
# KEYS: pub, users, ready, building, pub_tmp, users_tmp of each board in turn.
# ARGV: force, direct, then for each board: expire_at, n, and n (pk, member,
# public) triples; member "" removes. direct=1 writes the temporary keys only
# (a rebuild filling them); otherwise the live keys are written when ready and
# the temporary ones while a rebuild runs, so a write during a rebuild is not
# lost by the swap. Returns how many key pairs each board's write reached.
_PUT = """
local force = ARGV[1] == '1'
local direct = ARGV[2] == '1'
local function put(pub, users, pk, member, public)
  local old = redis.call('HGET', users, pk)
  if old and not force and member ~= '' and member >= old then return end
  if old then redis.call('ZREM', pub, old) end
  if member == '' then redis.call('HDEL', users, pk) return end
  redis.call('HSET', users, pk, member)
  if public == '1' then redis.call('ZADD', pub, 0, member) end
end
local reached = {}
local a = 3
for k = 0, #KEYS - 6, 6 do
  local expire_at, first = ARGV[a], a + 2
  local last = a + 1 + 3 * tonumber(ARGV[a + 1])
  a = last + 1
  local targets = {}
  if direct then
    targets[1] = {KEYS[k + 5], KEYS[k + 6]}
  else
    if redis.call('EXISTS', KEYS[k + 3]) == 1 then targets[#targets + 1] = {KEYS[k + 1], KEYS[k + 2]} end
    if redis.call('EXISTS', KEYS[k + 4]) == 1 then targets[#targets + 1] = {KEYS[k + 5], KEYS[k + 6]} end
  end
  for _, target in ipairs(targets) do
    for i = first, last, 3 do put(target[1], target[2], ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
  end
  if not direct then
    redis.call('EXPIREAT', KEYS[k + 1], expire_at)
    redis.call('EXPIREAT', KEYS[k + 2], expire_at)
    local lease = redis.call('PTTL', KEYS[k + 4])
    if lease > 0 then
      redis.call('PEXPIRE', KEYS[k + 5], lease)
      redis.call('PEXPIRE', KEYS[k + 6], lease)
    end
  end
  reached[#reached + 1] = #targets
end
return reached
"""

# KEYS: building, pub_tmp, users_tmp; ARGV: token, lease_ms
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('UNLINK', KEYS[2], KEYS[3])
  return 1
end
return 0
"""

# KEYS: building, pub_tmp, users_tmp; ARGV: token, lease_ms
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
"""

# KEYS: pub, users, ready, building, pub_tmp, users_tmp; ARGV: token, expire_at
_FINISH = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
redis.call('UNLINK', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('RENAME', KEYS[5], KEYS[1]) end
if redis.call('EXISTS', KEYS[6]) == 1 then redis.call('RENAME', KEYS[6], KEYS[2]) end
redis.call('SET', KEYS[3], '1')
for i = 1, 3 do redis.call('EXPIREAT', KEYS[i], ARGV[2]) end
redis.call('DEL', KEYS[4])
return 1
"""

# KEYS: building, pub_tmp, users_tmp; ARGV: token
_ABORT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('UNLINK', KEYS[2], KEYS[3])
return 1
"""


# --- Writes -------------------------------------------------------------------


@dataclass(frozen=True)
class Put:
    """A user's absolute place on one board; ``member`` None takes them off it."""

    board: BoardKey
    pk: int
    member: str | None
    public: bool


def put_many(puts: Sequence[Put], *, force: bool = False) -> None:
    """Writes users' places on boards: one script call, one round trip."""
    if not puts:
        return
    by_board: dict[BoardKey, list[Put]] = {}
    for put in puts:
        by_board.setdefault(put.board, []).append(put)
    keys: list[str] = []
    ready: list[str] = []
    args: list[str | int] = [int(force), 0]
    for board, items in by_board.items():
        board_keys = keys_for(board)
        keys += board_keys.all
        ready.append(board_keys.ready)
        args += [int(board.expires_at().timestamp()), len(items)]
        for item in items:
            args += [item.pk, item.member or "", int(item.public)]
    with _redis(stale_on_failure=ready) as client:
        script = redis_clients.script(client, _PUT)
        # EVALSHA by hand: a Script costs a SCRIPT EXISTS round trip first, and
        # every sync runs this one.
        try:
            client.evalsha(script.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            # A restarted or new master has no scripts: the call did not run,
            # and its writes are absolute, so running it again is exact.
            script.sha = client.script_load(script.script)
            client.evalsha(script.sha, len(keys), *keys, *args)


@dataclass(frozen=True)
class Build:
    board: BoardKey
    token: str


def build_start(board: BoardKey) -> Build | None:
    """Claims the right to rebuild ``board``; None when another process holds it."""
    token = secrets.token_hex(8)
    keys = keys_for(board)
    with _redis() as client:
        claim = redis_clients.script(client, _CLAIM)
        claimed = claim(keys=[keys.building, keys.pub_tmp, keys.users_tmp], args=[token, BUILD_LEASE_MS])
    return Build(board, token) if claimed else None


def build_put(build: Build, rows: Sequence[tuple[int, str, bool]], *, batch: int = 2_000) -> None:
    """Adds (pk, member, public) rows to the rebuild's temporary keys, in one pipeline."""
    keys = keys_for(build.board)
    with _redis() as client:
        put, renew = redis_clients.script(client, _PUT), redis_clients.script(client, _RENEW)
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            args: list[object] = [0, 1, 0, len(chunk)]
            for pk, member, public in chunk:
                args += [pk, member, int(public)]
            put(keys=keys.all, args=args, client=pipe)
        renew(keys=[keys.building, keys.pub_tmp, keys.users_tmp], args=[build.token, BUILD_LEASE_MS], client=pipe)
        if not pipe.execute()[-1]:
            raise RuntimeError(f"lost the rebuild lease of {build.board}")


def build_finish(build: Build) -> bool:
    """Swaps the rebuilt keys in (RENAME) and marks the board ready, atomically."""
    keys = keys_for(build.board)
    with _redis() as client:
        expire_at = int(build.board.expires_at().timestamp())
        return bool(redis_clients.script(client, _FINISH)(keys=keys.all, args=[build.token, expire_at]))


def build_abort(build: Build) -> None:
    keys = keys_for(build.board)
    try:
        with _redis() as client:
            redis_clients.script(client, _ABORT)(keys=[keys.building, keys.pub_tmp, keys.users_tmp], args=[build.token])
    except IndexUnavailable:
        pass  # the lease expires on its own


def claim_repair(board: BoardKey) -> bool:
    """True for the one caller (across all nodes) that should ask for a rebuild now."""
    with _redis() as client:
        return bool(client.set(keys_for(board).repair, "1", nx=True, ex=REPAIR_MARKER_SECONDS))


def drop(board: BoardKey) -> None:
    """Forgets a board's index (tests, and operators via the shell)."""
    with _redis() as client:
        client.delete(*keys_for(board).all, keys_for(board).repair)


# --- Reads --------------------------------------------------------------------


@dataclass(frozen=True)
class RankedRow:
    rank: int
    pk: int
    steps: int


@dataclass(frozen=True)
class MyPlace:
    rank: int
    steps: int
    steps_to_pass: int | None


def rank_page(standings: Sequence[Standing], first_rank: int, first_position: int) -> list[RankedRow]:
    """Competition ranks (1, 2, 2, 4) for consecutive board positions."""
    rows: list[RankedRow] = []
    for offset, standing in enumerate(standings):
        if rows and standing.steps == rows[-1].steps:
            rank = rows[-1].rank
        else:
            rank = first_rank if not rows else first_position + offset + 1
        rows.append(RankedRow(rank=rank, pk=standing.pk, steps=standing.steps))
    return rows


def _members(client: redis.Redis, board: BoardKey, pks: Sequence[int]) -> tuple[bool, dict[int, str]]:
    keys = keys_for(board)
    pipe = client.pipeline(transaction=False)
    pipe.exists(keys.ready)
    if pks:
        pipe.hmget(keys.users, list(pks))
    results = pipe.execute()
    found = dict(zip(pks, results[1], strict=True)) if pks else {}
    return bool(results[0]), {pk: member for pk, member in found.items() if member}


# KEYS: ready, users, pub; ARGV: offset, limit, my pk ('' none), '1' when offset > 0, then the extra pks.
# Returns {ready, mine ('' none), public members above my steps, the public one just above me ('' none),
#          n extras, n members, n "above it", n "above its steps", page length, page...,
#          "above its steps" of the page's first n + 1}:
# all a page of the global board needs, in one atomic call.
_READ_GLOBAL = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local extras = {}
for i = 5, #ARGV do
  local m = redis.call('HGET', KEYS[2], ARGV[i])
  if m then extras[#extras + 1] = m end
end
local out = {1, '', 0, ''}
if ARGV[3] ~= '' then
  local mine = redis.call('HGET', KEYS[2], ARGV[3])
  if mine then
    out[2] = mine
    out[3] = redis.call('ZLEXCOUNT', KEYS[3], '-', '(' .. string.sub(mine, 1, 6))
    local above = redis.call('ZREVRANGEBYLEX', KEYS[3], '(' .. mine, '-', 'LIMIT', 0, 1)
    if above[1] then out[4] = above[1] end
  end
end
local steps_above = ARGV[4] == '1'
out[#out + 1] = #extras
for _, m in ipairs(extras) do out[#out + 1] = m end
for _, m in ipairs(extras) do out[#out + 1] = redis.call('ZLEXCOUNT', KEYS[3], '-', '(' .. m) end
for _, m in ipairs(extras) do
  out[#out + 1] = steps_above and redis.call('ZLEXCOUNT', KEYS[3], '-', '(' .. string.sub(m, 1, 6)) or 0
end
local start = math.max(0, offset - #extras)
local page = redis.call('ZRANGE', KEYS[3], start, offset + limit - 1)
out[#out + 1] = #page
for _, m in ipairs(page) do out[#out + 1] = m end
if steps_above then
  for i = 1, math.min(#page, #extras + 1) do
    out[#out + 1] = redis.call('ZLEXCOUNT', KEYS[3], '-', '(' .. string.sub(page[i], 1, 6))
  end
end
return out
"""


def read_global(
    board: BoardKey, *, extra_pks: Sequence[int], me_pk: int | None, offset: int, limit: int
) -> tuple[list[RankedRow], MyPlace | None]:
    """A page of the board as seen by someone who sees every public user plus
    ``extra_pks`` (non-public users visible to them, themselves included): one
    script call, one round trip (it was two, three past the first page)."""
    keys = keys_for(board)
    with _redis() as client:
        answer = redis_clients.script(client, _READ_GLOBAL)(
            keys=[keys.ready, keys.users, keys.pub],
            args=[offset, limit, me_pk or "", "1" if offset > 0 else "", *extra_pks],
        )
    if not answer[0]:
        raise IndexUnavailable("not_ready")
    mine, my_steps_higher, pub_above, n = answer[1], answer[2], answer[3], answer[4]
    found = answer[5 : 5 + n]
    before = dict(zip(found, answer[5 + n : 5 + 2 * n], strict=True))
    steps_before = dict(zip(found, answer[5 + 2 * n : 5 + 3 * n], strict=True))
    at = 5 + 3 * n
    pub_page = answer[at + 1 : at + 1 + answer[at]]
    for member, higher in zip(pub_page, answer[at + 1 + answer[at] :], strict=False):
        steps_before[member] = higher
    extras = sorted(found)

    # Merge the public slice with the extras by board position.
    positioned: list[tuple[int, str]] = []
    pub_start = max(0, offset - len(extras))
    for position, member in enumerate(pub_page):
        positioned.append((pub_start + position + bisect_left(extras, member), member))
    for position, member in enumerate(extras):
        positioned.append((before[member] + position, member))
    page = sorted(p for p in positioned if offset <= p[0] < offset + limit)

    rows: list[RankedRow] = []
    if page:
        first = decode_member(page[0][1])
        if page[0][0] == 0:
            first_rank = 1
        else:
            # The page's first is an extra or one of the slice's first len(extras) + 1: counted in the script.
            higher = steps_before[page[0][1]]
            first_rank = 1 + higher + sum(1 for e in extras if decode_member(e).steps > first.steps)
        rows = rank_page([decode_member(m) for _, m in page], first_rank, page[0][0])

    me = None
    if mine:
        my = decode_member(mine)
        rank = 1 + my_steps_higher + sum(1 for e in extras if decode_member(e).steps > my.steps)
        candidates = [m for m in (pub_above or None, *extras) if m and m < mine]
        above = max(candidates) if candidates else None
        to_pass = decode_member(above).steps - my.steps + 1 if above else None
        me = MyPlace(rank=rank, steps=my.steps, steps_to_pass=to_pass)
    return rows, me


def read_among(
    board: BoardKey, *, pks: Sequence[int], me_pk: int | None, offset: int, limit: int
) -> tuple[list[RankedRow], MyPlace | None]:
    """A board among a few named users (the friends scope)."""
    with _redis() as client:
        ready, members = _members(client, board, list(pks))
    if not ready:
        raise IndexUnavailable("not_ready")
    ordered = [decode_member(m) for m in sorted(members.values())]
    return rank_standings(ordered, me_pk=me_pk, offset=offset, limit=limit)


def rank_standings(
    ordered: Sequence[Standing], *, me_pk: int | None, offset: int, limit: int
) -> tuple[list[RankedRow], MyPlace | None]:
    """Ranks a whole (small) board already in board order."""
    ranked = rank_page(ordered, 1, 0)
    me = None
    for index, row in enumerate(ranked):
        if row.pk == me_pk:
            to_pass = ranked[index - 1].steps - row.steps + 1 if index else None
            me = MyPlace(rank=row.rank, steps=row.steps, steps_to_pass=to_pass)
    return ranked[offset : offset + limit], me


def public_places(board: BoardKey, pks: Sequence[int]) -> dict[int, tuple[int, int]] | None:
    """Each user's (steps, rank among public users) on ``board``; users not on
    it are left out. None when the board is not ready. Two round trips."""
    keys = keys_for(board)
    with _redis() as client:
        ready, members = _members(client, board, list(pks))
        if not ready:
            return None
        standings = [decode_member(member) for member in members.values()]
        pipe = client.pipeline(transaction=False)
        for standing in standings:
            pipe.zlexcount(keys.pub, "-", f"({steps_prefix(standing.steps)}")
        higher = pipe.execute() if standings else []
    return {s.pk: (s.steps, 1 + above) for s, above in zip(standings, higher, strict=True)}


def public_ranks(standings: Sequence[tuple[BoardKey, int]]) -> list[int | None]:
    """The rank each (board, steps) has among public users (a signed-out
    visitor's view), or None where the board is not ready; one round trip."""
    with _redis() as client:
        pipe = client.pipeline(transaction=False)
        for board, steps in standings:
            keys = keys_for(board)
            pipe.exists(keys.ready)
            pipe.zlexcount(keys.pub, "-", f"({steps_prefix(steps)}")
        results = pipe.execute()
    return [1 + higher if ready else None for ready, higher in zip(results[::2], results[1::2], strict=True)]
