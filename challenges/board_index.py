"""The challenge boards' Redis index: every key and command they use.

Each running (or grace) challenge has, under one hash tag:

- ``…:people`` sorted set of members in board order, ``…:pusers`` hash user pk -> member;
- ``…:teams`` / ``…:tusers`` the same for teams, and ``…:tm:<team>`` hash
  user pk -> "score:reached" of each member (every member, idle ones too: an
  average counts them);
- ``…:ready`` once a rebuild from MySQL filled them, ``…:building`` while one
  runs, ``…:dirty`` the users whose scores changed during it.

A member is 37 hex characters that sort in board order, as ``rankings.index``
does it: the score in tenths (inverted, so higher sorts first; an average per
member has one decimal), when it was reached (earlier first; never reached
last), then the pk. Every score is 0 in the sorted set, so Redis orders by
member exactly as ``scoring.rank`` does; a rank is ``ZLEXCOUNT`` over the
score prefix.

Writes are absolute scores the fan-out computed from MySQL after the commit
(``challenges.reactions``), one Lua call per challenge that also re-scores
the person's team and returns who was passed. Unless forced (a correction,
a deletion), a write that lowers a stored score is stale and ignored. Writes
go only to ready boards; during a rebuild the user is remembered in
``dirty`` and re-scored once the rebuild is in. The connection, breaker and
stale-on-failure bookkeeping are ``rankings.index``'s (``connection``): a
write that fails while Redis is down drops the board's "ready" marker on the
next contact, so SQL answers until it is rebuilt; a new Redis master drops
them all. Nothing is ever lost: MySQL is the truth.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from infrastructure import redis_clients
from rankings import index as rankings_index
from rankings.index import IndexUnavailable

__all__ = ["IndexUnavailable"]

SCORE_CEILING = 0xFFFFFFFFFFFF  # tenths: 2.8e13 steps, past any team of any size
NEVER = 0xFFFFFFFFFFFFF  # 13 hex digits of microseconds: sorts after every real moment
_SCORE, _TIME, _PK = 12, 13, 12
BUILD_LEASE_MS = 120_000
RIVALS_AT_MOST = 500  # passed in one write: more is a jump no push list needs whole
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def tenths(value: float) -> int:
    return round(value * 10)


def micros(moment: datetime | None) -> int:
    return NEVER if moment is None else (moment - _EPOCH) // _MICROSECOND


def moment(micros_value: int) -> datetime | None:
    return None if micros_value == NEVER else _EPOCH + micros_value * _MICROSECOND


def encode(*, value: float, reached_at: datetime | None, pk: int) -> str:
    return f"{SCORE_CEILING - tenths(value):012x}{micros(reached_at):013x}{pk:012x}"


@dataclass(frozen=True)
class Standing:
    pk: int
    value: float
    reached_at: datetime | None


def decode(member: str) -> Standing:
    score = SCORE_CEILING - int(member[:_SCORE], 16)
    return Standing(
        pk=int(member[_SCORE + _TIME :], 16),
        value=score / 10 if score % 10 else score // 10,
        reached_at=moment(int(member[_SCORE : _SCORE + _TIME], 16)),
    )


def _prefix(value: float) -> str:
    """Every member scoring more than ``value`` sorts strictly before this."""
    return f"{SCORE_CEILING - tenths(value):012x}"


@dataclass(frozen=True)
class Keys:
    base: str

    def __getattr__(self, name: str) -> str:
        return f"{self.base}:{name}"

    def team(self, team_pk: int) -> str:
        return f"{self.base}:tm:{team_pk}"


def keys_for(challenge_id: int) -> Keys:
    # Under ``…:rank:`` so that rankings' new-master check forgets these boards too.
    return Keys(f"{settings.REDIS_KEY_PREFIX}:rank:{{chal:{challenge_id}}}")


def enabled() -> bool:
    return rankings_index.enabled()


# --- Lua ---------------------------------------------------------------------------

# KEYS: people, pusers, teams, tusers, ready, building, dirty, team hash (or any key), told today
# ARGV: force, pk, member ('' removes), score in tenths, reached micros, team pk
#       ('' none), 'average' or 'total', expire_at, rivals limit, never, '1' to tell rivals
# Returns {status, old member, team old, team new, rivals..., '|', team rivals...}:
# status -1 not ready (remembered as dirty during a rebuild), 0 stale write, 1 written.
# Rivals are the members the write went past: strictly more than the old score
# before, strictly less than the new one now; with '1', only those not yet in
# today's "told" set (which then holds them): a board where everyone keeps
# passing everyone owes each push once, and the sync pays nothing after that.
_PUT = """
local function encode(score, at, pk)
  return string.format('%012x%013x%012x', 0xFFFFFFFFFFFF - score, at, pk)
end
local function passed(zset, new, old, kind, out)
  local low, high = string.sub(new, 1, 12), string.sub(old, 1, 12)
  for _, m in ipairs(redis.call('ZRANGEBYLEX', zset, '(' .. new, '(' .. old, 'LIMIT', 0, tonumber(ARGV[9]))) do
    local score = string.sub(m, 1, 12)
    if score ~= low and score ~= high then
      if ARGV[11] ~= '1' or redis.call('SADD', KEYS[9], kind .. string.sub(m, 26)) == 1 then
        out[#out + 1] = m
      end
    end
  end
  if ARGV[11] == '1' then redis.call('EXPIRE', KEYS[9], 172800) end
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  if redis.call('EXISTS', KEYS[6]) == 1 then
    if ARGV[2] ~= '' then redis.call('SADD', KEYS[7], 'u' .. ARGV[2]) end
    if ARGV[6] ~= '' then redis.call('SADD', KEYS[7], 't' .. ARGV[6]) end
  end
  return {-1}
end
local pk, member = ARGV[2], ARGV[3]
local out = {1, '', '', ''}
if pk ~= '' then
  local old = redis.call('HGET', KEYS[2], pk)
  if old and ARGV[1] ~= '1' and member ~= '' and string.sub(member, 1, 12) > string.sub(old, 1, 12) then
    return {0, old}
  end
  if old then redis.call('ZREM', KEYS[1], old) end
  if member == '' then
    redis.call('HDEL', KEYS[2], pk)
  else
    redis.call('HSET', KEYS[2], pk, member)
    redis.call('ZADD', KEYS[1], 0, member)
  end
  out[2] = old or ''
  if old and member ~= '' and member < old then passed(KEYS[1], member, old, 'u', out) end
end
out[#out + 1] = '|'
if ARGV[6] ~= '' then
  local team = tonumber(ARGV[6])
  if pk == '' then
    -- a team alone (just created): its score from whoever is in it
  elseif member == '' then
    redis.call('HDEL', KEYS[8], pk)
  else
    redis.call('HSET', KEYS[8], pk, ARGV[4] .. ':' .. ARGV[5])
  end
  local total, latest, n = 0, -1, 0
  for _, v in ipairs(redis.call('HVALS', KEYS[8])) do
    local sep = string.find(v, ':', 1, true)
    local score, at = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
    total = total + score
    n = n + 1
    if at ~= tonumber(ARGV[10]) and at > latest then latest = at end
  end
  -- people scores are whole numbers of steps or days: tenths / 10
  total = total / 10
  local score = total * 10
  if ARGV[7] == 'average' then
    if n > 0 then score = math.floor((20 * total + n) / (2 * n)) else score = 0 end
  end
  if score == 0 or latest < 0 then latest = tonumber(ARGV[10]) end
  local tnew = encode(score, latest, team)
  local told = redis.call('HGET', KEYS[4], ARGV[6])
  if told then redis.call('ZREM', KEYS[3], told) end
  redis.call('HSET', KEYS[4], ARGV[6], tnew)
  redis.call('ZADD', KEYS[3], 0, tnew)
  redis.call('EXPIREAT', KEYS[8], ARGV[8])
  out[3], out[4] = told or '', tnew
  if told and tnew < told then passed(KEYS[3], tnew, told, 't', out) end
end
return out
"""

# KEYS: ready, building, dirty, people, pusers, teams, tusers; ARGV: token, expire_at
_FINISH = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], '1')
redis.call('DEL', KEYS[2])
for i = 1, 7 do if i ~= 2 and i ~= 3 then redis.call('EXPIREAT', KEYS[i], ARGV[2]) end end
local dirty = redis.call('SMEMBERS', KEYS[3])
redis.call('DEL', KEYS[3])
return dirty
"""

# KEYS: building; ARGV: token, lease
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


# --- Writes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Put:
    """A participant's absolute score on one challenge's board; ``value`` None takes them off."""

    challenge_id: int
    expire_at: datetime
    pk: int | None  # None: the team alone
    value: float | None
    reached_at: datetime | None
    team_id: int | None
    average: bool
    # Rivals passed are remembered as told on this (UTC) day; the outbox's unique key stays the rule.
    tell_rivals: bool = False
    told_on: str = ""


@dataclass(frozen=True)
class Written:
    status: int  # -1 not ready, 0 stale (ignored), 1 written
    old: Standing | None = None
    new: Standing | None = None
    passed: list[Standing] | None = None  # people between the old and new place
    team_old: Standing | None = None
    team_new: Standing | None = None
    teams_passed: list[Standing] | None = None


def put_many(puts: Sequence[Put], *, force: bool) -> list[Written]:
    """Writes each put, one script call each, one round trip for them all."""
    if not puts:
        return []
    ready = [keys_for(put.challenge_id).ready for put in puts]
    with rankings_index.connection(stale_on_failure=ready) as client:
        script = redis_clients.script(client, _PUT)
        pipe = client.pipeline(transaction=False)
        for put in puts:
            keys = keys_for(put.challenge_id)
            member = (
                ""
                if put.value is None or put.pk is None
                else encode(value=put.value, reached_at=put.reached_at, pk=put.pk)
            )
            team_key = keys.team(put.team_id) if put.team_id is not None else keys.people
            args = [
                int(force), "" if put.pk is None else put.pk, member, tenths(put.value or 0), micros(put.reached_at),
                "" if put.team_id is None else put.team_id, "average" if put.average else "total",
                int(put.expire_at.timestamp()), RIVALS_AT_MOST, NEVER, "1" if put.tell_rivals else "",
            ]  # fmt: skip
            keys_list = [
                keys.people, keys.pusers, keys.teams, keys.tusers, keys.ready, keys.building, keys.dirty, team_key,
                f"{keys.base}:told:{put.told_on}",
            ]  # fmt: skip
            script(keys=keys_list, args=args, client=pipe)
        answers = pipe.execute()
    return [_written(put, answer) for put, answer in zip(puts, answers, strict=True)]


def _written(put: Put, answer: list) -> Written:
    status = int(answer[0])
    if status != 1:
        return Written(status=status)
    old = decode(answer[1]) if answer[1] else None
    new = (
        None if put.value is None or put.pk is None else Standing(pk=put.pk, value=put.value, reached_at=put.reached_at)
    )
    rest = answer[4:]
    split = rest.index("|")
    return Written(
        status=1,
        old=old,
        new=new,
        passed=[decode(m) for m in rest[:split]],
        team_old=decode(answer[2]) if answer[2] else None,
        team_new=decode(answer[3]) if answer[3] else None,
        teams_passed=[decode(m) for m in rest[split + 1 :]],
    )


# --- Rebuild -----------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    challenge_id: int
    token: str


def build_start(challenge_id: int, team_ids: Sequence[int]) -> Build | None:
    """Claims the rebuild of a board and empties it (readers already answer from
    SQL: it is not ready). None when another process holds the claim."""
    keys = keys_for(challenge_id)
    token = secrets.token_hex(8)
    with rankings_index.connection() as client:
        if not client.set(keys.building, token, nx=True, px=BUILD_LEASE_MS):
            return None
        old_teams = [int(pk) for pk in client.hkeys(keys.tusers)]
        stale = {keys.team(pk) for pk in [*old_teams, *team_ids]}
        client.delete(keys.ready, keys.people, keys.pusers, keys.teams, keys.tusers, keys.dirty, *stale)
    return Build(challenge_id, token)


@dataclass(frozen=True)
class Row:
    pk: int
    value: float
    reached_at: datetime | None


def _encoded(row: Row) -> str:
    return encode(value=row.value, reached_at=row.reached_at, pk=row.pk)


def build_put(
    build: Build,
    people: Sequence[tuple[Row, int | None]],
    teams: Sequence[Row],
    *,
    batch: int = 5_000,
) -> None:
    """Fills the board: people with their team, and every team's score."""
    keys = keys_for(build.challenge_id)
    with rankings_index.connection() as client:
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(people), batch):
            chunk = people[start : start + batch]
            members: dict[Any, str] = {
                str(row.pk): encode(value=row.value, reached_at=row.reached_at, pk=row.pk) for row, _ in chunk
            }
            pipe.hset(keys.pusers, mapping=members)
            pipe.zadd(keys.people, dict.fromkeys(members.values(), 0))
            by_team: dict[int, dict[Any, str]] = {}
            for row, team in chunk:
                if team is not None:
                    by_team.setdefault(team, {})[str(row.pk)] = f"{tenths(row.value)}:{micros(row.reached_at)}"
            for team, values in by_team.items():
                pipe.hset(keys.team(team), mapping=values)
            pipe.execute()
            redis_clients.script(client, _RENEW)(keys=[keys.building], args=[build.token, BUILD_LEASE_MS])
        if teams:
            team_members: dict[Any, str] = {str(row.pk): _encoded(row) for row in teams}
            pipe.hset(keys.tusers, mapping=team_members)
            pipe.zadd(keys.teams, dict.fromkeys(team_members.values(), 0))
            pipe.execute()


def build_finish(build: Build, expire_at: datetime) -> list[str] | None:
    """Marks the board ready; returns what changed meanwhile, to be written
    again ("u<user pk>", "t<team pk>"), or None when the claim was lost."""
    keys = keys_for(build.challenge_id)
    with rankings_index.connection() as client:
        for team_key in client.scan_iter(match=f"{keys.base}:tm:*", count=1000):
            client.expireat(team_key, int(expire_at.timestamp()))
        dirty = redis_clients.script(client, _FINISH)(
            keys=[keys.ready, keys.building, keys.dirty, keys.people, keys.pusers, keys.teams, keys.tusers],
            args=[build.token, int(expire_at.timestamp())],
        )
    return None if dirty is None else [str(entry) for entry in dirty]


def build_abort(build: Build) -> None:
    keys = keys_for(build.challenge_id)
    try:
        with rankings_index.connection() as client:
            if client.get(keys.building) == build.token:
                client.delete(keys.building)
    except IndexUnavailable:
        pass  # the lease expires on its own


def claim_repair(challenge_id: int) -> bool:
    """True for the one caller (across all nodes) that should rebuild now."""
    with rankings_index.connection() as client:
        return bool(client.set(keys_for(challenge_id).repair, "1", nx=True, ex=60))


def drop(challenge_id: int) -> None:
    """Forgets a board (once final it is read from its frozen rows)."""
    keys = keys_for(challenge_id)
    with rankings_index.connection() as client:
        team_keys = list(client.scan_iter(match=f"{keys.base}:tm:*", count=1000))
        client.delete(
            keys.ready, keys.people, keys.pusers, keys.teams, keys.tusers, keys.dirty, keys.building, keys.repair,
            *team_keys,
        )  # fmt: skip


# --- Reads -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    rank: int
    standing: Standing


@dataclass(frozen=True)
class Page:
    rows: list[Ranked]
    count: int
    me: Ranked | None
    first_two: list[Standing]


# KEYS: ready, board, owners, people; ARGV: offset, limit, owner pk ('' none), '1' for the people board's first two
# Returns {ready (0/1), count, above the page's first, my member ('' none), above mine, n, page..., first two...}:
# everything a page needs in one atomic call, so its ranks and its rows are of one moment.
_READ = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local page = redis.call('ZRANGE', KEYS[2], offset, offset + limit - 1)
local out = {1, redis.call('ZCARD', KEYS[2]), 0, '', 0, #page}
if #page > 0 then out[3] = redis.call('ZLEXCOUNT', KEYS[2], '-', '(' .. string.sub(page[1], 1, 12)) end
if ARGV[3] ~= '' then
  local mine = redis.call('HGET', KEYS[3], ARGV[3])
  if mine then
    out[4] = mine
    out[5] = redis.call('ZLEXCOUNT', KEYS[2], '-', '(' .. string.sub(mine, 1, 12))
  end
end
for _, m in ipairs(page) do out[#out + 1] = m end
if ARGV[4] == '1' then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[4], 0, 1)) do out[#out + 1] = m end
end
return out
"""


def read_page(
    challenge_id: int, *, teams: bool, offset: int, limit: int, me_pk: int | None, first_two: bool = True
) -> Page:
    """A page of the people (or teams) board and ``me_pk``'s place on it (with
    ``first_two``, the people board's first two too): one script call, one round
    trip. Raises ``IndexUnavailable`` ("not_ready") for a board not built."""
    keys = keys_for(challenge_id)
    board, owners = (keys.teams, keys.tusers) if teams else (keys.people, keys.pusers)
    with rankings_index.connection() as client:
        # A Script called on its own is one EVALSHA (it loads itself on NOSCRIPT).
        answer = redis_clients.script(client, _READ)(
            keys=[keys.ready, board, owners, keys.people],
            args=[offset, limit, "" if me_pk is None else me_pk, "1" if first_two else ""],
        )
    if not answer[0]:
        raise IndexUnavailable("not_ready")
    count, above_first, mine, above_mine, n = answer[1], answer[2], answer[3], answer[4], answer[5]
    rows: list[Ranked] = []
    for position, member in enumerate(answer[6 : 6 + n], start=offset):
        standing = decode(member)
        if not rows:
            rank = 1 + above_first
        elif standing.value == rows[-1].standing.value:
            rank = rows[-1].rank
        else:
            rank = position + 1
        rows.append(Ranked(rank=rank, standing=standing))
    me = Ranked(rank=1 + above_mine, standing=decode(mine)) if mine else None
    return Page(rows=rows, count=count, me=me, first_two=[decode(m) for m in answer[6 + n :]])


def read_people(challenge_id: int, pks: Sequence[int]) -> dict[int, Ranked]:
    """The places of a few people (the live feed's changed rows)."""
    keys = keys_for(challenge_id)
    with rankings_index.connection() as client:
        pipe = client.pipeline(transaction=False)
        pipe.exists(keys.ready)
        pipe.hmget(keys.pusers, list(pks))
        ready, members = pipe.execute() if pks else (client.exists(keys.ready), [])
        if not ready:
            raise IndexUnavailable("not_ready")
        found = [decode(m) for m in members if m]
        pipe = client.pipeline(transaction=False)
        for standing in found:
            pipe.zlexcount(keys.people, "-", f"({_prefix(standing.value)}")
        higher = pipe.execute() if found else []
    return {s.pk: Ranked(rank=1 + above, standing=s) for s, above in zip(found, higher, strict=True)}
