"""The chaos test: hundreds of simulated phones sync step counts through
HAProxy while the topology loses its parts one after another, and nobody
steps in: an app node SIGKILLed, another SIGTERMed, then the Galera node
taking the writes SIGKILLed and left dead, then the Redis master SIGKILLed
and left dead; finally both come back and rejoin (Galera by IST, Redis as a
replica of the new master). Afterwards every count a phone saw acknowledged
is in MySQL, no total is more than was ever sent, each leaderboard equals
SQL's from the rebuilt index, and the clients' requests, errors and time to
the first success after each fault are printed.

About three minutes, cluster start included: deselect with ``-m "not chaos"``;
``make chaos`` runs just this."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import websockets

from pedometer_site.tests.clusters import fresh_cluster
from scripts.cluster import Cluster, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.chaos]

PHONES = 200
SECOND_DEVICE_EVERY = 4  # every fourth user also syncs from a watch: two sources, never added up
THINK_SECONDS = (1.0, 3.0)  # between two syncs of one phone
DRAIN_SECONDS = 20  # after the faults, a phone keeps retrying its last sync this long
RETRYABLE = {429, 500, 502, 503, 504}
NODE_KILL_RECOVERY_GOAL = 5.0  # an app node's SIGKILL: client errors stop within this
# The database primary's or the Redis master's SIGKILL: the first acknowledged
# write after it comes within this (the budget, no person acting).
WRITES_RESUME_GOAL = 5.0
LIVE_WATCHERS = 4  # sockets on /ws/live/ watching the live walker through HAProxy


@pytest.fixture(scope="module")
def cluster():
    # Registration at load-test speed: the per-IP throttle and the slow password hash are not under test here.
    env = {"THROTTLE_REGISTER_IP": "100000/hour", "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher"}
    with fresh_cluster("chaos-test", env=env) as cluster:
        yield cluster


@dataclass
class Ledger:
    """What the phones sent, what was acknowledged, and every attempt's outcome."""

    sent: dict[tuple[str, str, date], int] = field(default_factory=lambda: defaultdict(int))
    acked: dict[tuple[str, str, date], int] = field(default_factory=lambda: defaultdict(int))
    # (sent at, answered at, "200" / "503" / "ConnectError"), monotonic seconds
    attempts: list[tuple[float, float, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    gave_up: int = 0


@dataclass
class Phone:
    email: str
    user_id: str
    token: str
    sources: list[str]
    counts: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))


async def sync_until_acked(client: httpx.AsyncClient, phone: Phone, source: str, day: date, steps: int,
                           ledger: Ledger, give_up_at: list[float]) -> None:  # fmt: skip
    """One sync as a phone app makes it: retried with jittered exponential backoff on
    connection errors, 5xx and 429, until acknowledged (or the test is over)."""
    key = (phone.email, source, day)
    ledger.sent[key] = max(ledger.sent[key], steps)
    body = {"source": source, "days": [{"date": day.isoformat(), "steps": steps}]}
    headers = {"Authorization": f"Bearer {phone.token}"}
    attempt = 0
    while True:
        sent_at = time.monotonic()
        try:
            response = await client.post("/api/v1/steps/sync", json=body, headers=headers)
            outcome = str(response.status_code)
        except httpx.HTTPError as exc:
            response, outcome = None, type(exc).__name__
        ledger.attempts.append((sent_at, time.monotonic(), outcome))
        if response is not None and response.status_code == 200:
            ledger.acked[key] = max(ledger.acked[key], steps)
            return
        if response is not None and response.status_code not in RETRYABLE:
            ledger.unexpected.append(f"{response.status_code} {response.text[:200]}")
            return
        if time.monotonic() > give_up_at[0]:
            ledger.gave_up += 1
            return
        attempt += 1
        await asyncio.sleep(random.uniform(0.5, 1.0) * min(0.2 * 2**attempt, 4.0))


async def walk(client: httpx.AsyncClient, phone: Phone, days: list[date], ledger: Ledger,
               stop: asyncio.Event, give_up_at: list[float]) -> None:  # fmt: skip
    """Increasing counts, with some repeats and some late, lower values (out of order)."""
    await asyncio.sleep(random.uniform(0, THINK_SECONDS[1]))
    while not stop.is_set():
        source, day = random.choice(phone.sources), random.choice(days)
        highest = phone.counts[source, day]
        roll = random.random()
        if highest and roll < 0.1:
            steps = highest  # a duplicate
        elif highest and roll < 0.2:
            steps = max(0, highest - random.randint(1, 500))  # an older reading arriving late
        else:
            steps = phone.counts[source, day] = highest + random.randint(1, 400)
        await sync_until_acked(client, phone, source, day, steps, ledger, give_up_at)
        await asyncio.sleep(random.uniform(*THINK_SECONDS))


async def register(client: httpx.AsyncClient, n: int, limit: asyncio.Semaphore) -> Phone:
    body = {"email": f"phone{n}@example.com", "password": "correct-horse-battery", "display_name": f"Phone {n}"}
    async with limit:
        response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    sources = ["phone"] + (["watch"] if n % SECOND_DEVICE_EVERY == 0 else [])
    signed_up = response.json()
    return Phone(email=body["email"], user_id=signed_up["user"]["id"], token=signed_up["access"], sources=sources)


@dataclass
class Marks:
    """When each fault began, and what the fault thread measured along the way."""

    faults: list[tuple[str, float]] = field(default_factory=list)
    notes: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.faults.append((name, time.monotonic()))


def inject_faults(cluster: Cluster, marks: Marks) -> None:
    """The faults, one after another; each is recorded when it starts."""

    def back_in_pool(n: int) -> None:
        wait_for(lambda: cluster.backend_states()[f"node{n}"] == "UP", 30, f"node{n} UP in HAProxy", interval=0.1)

    time.sleep(5)  # a calm start: the baseline
    marks.mark("baseline")
    time.sleep(5)
    marks.mark("SIGKILL node1, restart after 5 s")
    cluster.kill_node(1)
    time.sleep(5)
    cluster.start_node(1)
    back_in_pool(1)
    time.sleep(3)
    marks.mark("SIGTERM node2, restart")
    cluster.term_node(2)
    cluster.start_node(2)
    back_in_pool(2)
    time.sleep(3)

    marks.mark("SIGKILL database primary")
    killed_at = time.monotonic()
    marks.notes["db_killed"] = cluster.kill_db_primary()
    wait_for(lambda: cluster.db_writer() != marks.notes["db_killed"], 30, "HAProxy to pick a new writer", interval=0.1)
    marks.notes["db_new_writer_after"] = time.monotonic() - killed_at
    marks.notes["db_new_writer"] = cluster.db_writer()
    time.sleep(max(0.0, 12 - (time.monotonic() - killed_at)))

    marks.mark("SIGKILL Redis master")
    killed_at = time.monotonic()
    old_master = cluster.redis_master_port()
    marks.notes["redis_killed"] = cluster.kill_redis_master()
    wait_for(lambda: cluster.redis_master_port() not in (None, old_master), 30, "the Sentinels to promote", 0.1)
    marks.notes["redis_promoted_after"] = time.monotonic() - killed_at
    time.sleep(max(0.0, 12 - (time.monotonic() - killed_at)))

    marks.mark("both restarted, rejoining")
    started = time.monotonic()
    db, redis_n = int(marks.notes["db_killed"]), int(marks.notes["redis_killed"])
    cluster.start_db(db, wait=False)
    cluster.start_redis(redis_n)
    cluster.wait_redis_replica_in_sync(redis_n)
    marks.notes["redis_rejoined_after"] = time.monotonic() - started
    cluster.wait_db_synced(db)
    marks.notes["db_rejoined_after"] = time.monotonic() - started
    marks.notes["db_writer_after_rejoin"] = cluster.db_writer()
    time.sleep(3)
    marks.mark("end")


class LiveWatchers:
    """Sockets on /ws/live/ through HAProxy, each watching one walker who syncs
    today's count twice a second; like the app, they reconnect (with a short
    backoff) whenever the server closes them. Records when updates arrive."""

    def __init__(self, cluster: Cluster, token: str, user_id: str) -> None:
        self.url = f"ws://127.0.0.1:{cluster.ports.lb}/ws/live/?users={user_id}&token={token}"
        self.updates: list[tuple[float, int]] = []  # (received at, the count it carried)
        self.sent_at: dict[int, float] = {}  # the live walker's counts: when its sync was sent
        self.reconnects = 0

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(self.url, open_timeout=5) as socket:
                    while not stop.is_set():
                        try:
                            message = await asyncio.wait_for(socket.recv(), timeout=0.5)
                        except TimeoutError:
                            continue
                        event = json.loads(message)
                        if event.get("type") == "steps":
                            self.updates.append((time.monotonic(), event["steps"]))
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            if not stop.is_set():
                self.reconnects += 1
                await asyncio.sleep(random.uniform(0.5, 1.0))


async def live_walker(client: httpx.AsyncClient, phone: Phone, ledger: Ledger, stop: asyncio.Event,
                      give_up_at: list[float], watchers: LiveWatchers) -> None:  # fmt: skip
    """Today's count, rising twice a second: what the live watchers see. Its own
    connection, so its syncs never queue behind the 200 phones' in their pool."""
    today = datetime.now(UTC).date()
    steps = 0
    async with httpx.AsyncClient(base_url=str(client.base_url), timeout=10) as own:
        while not stop.is_set():
            steps += random.randint(1, 50)
            watchers.sent_at[steps] = time.monotonic()
            await sync_until_acked(own, phone, "phone", today, steps, ledger, give_up_at)
            await asyncio.sleep(0.5)


async def run_load(cluster: Cluster) -> tuple[Ledger, Marks, float, list[Phone], LiveWatchers]:
    ledger = Ledger()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=cluster.lb_url, timeout=10, limits=limits) as client:
        limit = asyncio.Semaphore(20)
        phones = await asyncio.gather(*(register(client, n, limit) for n in range(PHONES + 1)))
        live_phone, phones = phones[-1], phones[:-1]
        today = datetime.now(UTC).date()
        days = [today - timedelta(days=k) for k in (1, 2, 3)]  # past days: no time zone edge in play
        stop = asyncio.Event()
        give_up_at = [float("inf")]
        watchers = LiveWatchers(cluster, live_phone.token, live_phone.user_id)
        walkers = [asyncio.create_task(walk(client, phone, days, ledger, stop, give_up_at)) for phone in phones]
        walkers.append(asyncio.create_task(live_walker(client, live_phone, ledger, stop, give_up_at, watchers)))
        sockets = [asyncio.create_task(watchers.watch(stop)) for _ in range(LIVE_WATCHERS)]
        marks = Marks()
        started = time.monotonic()
        fault_thread = threading.Thread(target=inject_faults, args=(cluster, marks), daemon=True)
        fault_thread.start()
        while fault_thread.is_alive():
            await asyncio.sleep(0.2)
        stop.set()
        give_up_at[0] = time.monotonic() + DRAIN_SECONDS
        await asyncio.gather(*walkers, *sockets)
        return ledger, marks, time.monotonic() - started, [*phones, live_phone], watchers


def stored_counts(cluster: Cluster) -> tuple[dict[tuple[str, str, date], int], dict[tuple[str, date], int]]:
    conn = cluster.db_connect()  # through HAProxy, to whichever node takes the writes now
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT u.email, d.source, d.day, d.steps FROM steps_dailysteps d JOIN accounts_user u ON u.id = d.user_id"
        )
        devices = {(email, source, day): steps for email, source, day, steps in cursor.fetchall()}
        cursor.execute("SELECT u.email, t.day, t.steps FROM steps_daytotal t JOIN accounts_user u ON u.id = t.user_id")
        totals = {(email, day): steps for email, day, steps in cursor.fetchall()}
        return devices, totals
    finally:
        conn.close()


def per_fault(ledger: Ledger, faults: list[tuple[str, float]], live: LiveWatchers) -> list[dict]:
    """For each fault, from its start to the next one's (by when requests were
    answered): the requests and errors clients saw, how long after the fault
    began the last error came (0 when there was none), how long until the
    first acknowledged sync that was *sent* after it began, and until a
    watcher received the first live update of a count sent after it began."""
    rows = []
    for (name, begun), (_, ended) in itertools.pairwise(faults):
        window = [(sent, at, outcome) for sent, at, outcome in ledger.attempts if begun <= at < ended]
        errors = [at for _, at, outcome in window if outcome != "200"]
        kinds = sorted({outcome for _, _, outcome in window if outcome != "200"})
        firsts = [at for sent, at, outcome in ledger.attempts if sent >= begun and outcome == "200"]
        updates = [at for at, steps in live.updates if live.sent_at.get(steps, -1.0) >= begun]
        rows.append(
            {
                "fault": name,
                "requests": len(window),
                "errors": len(errors),
                "rate": len(errors) / len(window) if window else 0.0,
                "recovery": (max(errors) - begun) if errors else 0.0,
                "first_success": (min(firsts) - begun) if firsts else None,
                "first_live": (min(updates) - begun) if updates else None,
                "kinds": ",".join(kinds) or "-",
            }
        )
    return rows


def leaderboard_repair(cluster: Cluster, token: str, ids: dict[str, str], totals: dict, days: list[date],
                       timeout: float = 30.0) -> dict[date, tuple[float | None, str]]:  # fmt: skip
    """Per day: seconds (after the load) until GET /api/v1/rankings/day through HAProxy
    lists exactly SQL's ranking of DayTotal from the rebuilt Redis index (the first read
    of a missing board answers from SQL and queues its rebuild); None: never."""

    def order(rows):
        return sorted(rows, key=lambda row: (-row[1], row[0]))

    results = {}
    started = time.monotonic()
    with httpx.Client(base_url=cluster.lb_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        for day in days:
            expected = order((ids[email], steps) for (email, d), steps in totals.items() if d == day)
            seen: list = []
            results[day] = (None, f"never matched: last saw {len(seen)} entries, SQL has {len(expected)}")
            while time.monotonic() - started < timeout:
                response = client.get("/api/v1/rankings/day", params={"date": day.isoformat(), "limit": 200})
                if response.status_code == 200:
                    seen = order((entry["user"], entry["steps"]) for entry in response.json()["entries"])
                    source = response.headers.get("X-Rankings-Source", "?")
                    if seen == expected and source == "index":
                        results[day] = (time.monotonic() - started, source)
                        break
                time.sleep(0.5)
            else:
                results[day] = (
                    None,
                    f"no index answer equal to SQL: last saw {len(seen)} entries, SQL has {len(expected)}",
                )
    return results


def syncs_counted(cluster: Cluster) -> int:
    """pedometer_syncs_total summed over the nodes, scraped from each directly (as Prometheus does)."""
    total = 0.0
    for n in range(1, len(cluster.ports.nodes) + 1):
        text = httpx.get(f"{cluster.node_url(n)}/metrics", timeout=10).text
        total += sum(
            float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("pedometer_syncs_total{")
        )
    return int(total)


def ranking(totals: dict[tuple[str, date], int], day: date) -> list[tuple[str, int]]:
    return sorted(((email, steps) for (email, d), steps in totals.items() if d == day), key=lambda r: (-r[1], r[0]))


@pytest.mark.timeout(420)
def test_no_acknowledged_sync_is_lost_or_double_counted_while_the_topology_breaks(cluster, capsys):
    test_started = time.monotonic()
    ledger, marks, load_seconds, phones, live = asyncio.run(run_load(cluster))
    devices, totals = stored_counts(cluster)
    ids = {phone.email: phone.user_id for phone in phones}

    lost = {
        key: (ledger.acked[key], devices.get(key)) for key in ledger.acked if devices.get(key, -1) < ledger.acked[key]
    }
    too_high = {key: (steps, ledger.sent.get(key)) for key, steps in devices.items() if steps > ledger.sent.get(key, 0)}
    unacked_but_stored = sum(1 for key, steps in devices.items() if ledger.acked.get(key, 0) < steps)
    # A day's total is the highest of the user's devices: never their sum.
    expected_totals = defaultdict(int)
    for (email, _source, day), steps in devices.items():
        expected_totals[email, day] = max(expected_totals[email, day], steps)
    wrong_totals = {key: (totals.get(key), steps) for key, steps in expected_totals.items() if totals.get(key) != steps}
    days = sorted({day for _, day in expected_totals})
    rankings_differ = [day for day in days if ranking(totals, day) != ranking(expected_totals, day)]
    rows = per_fault(ledger, marks.faults, live)
    leaderboard = leaderboard_repair(cluster, phones[0].token, ids, totals, days)
    counted = syncs_counted(cluster)

    with capsys.disabled():
        ok = sum(1 for _, _, outcome in ledger.attempts if outcome == "200")
        print(f"\nchaos: cluster up in {cluster.startup_seconds:.1f}s; {PHONES} phones synced for {load_seconds:.0f}s")
        print(
            f"chaos: {len(ledger.attempts)} requests, {ok} acknowledged, {len(ledger.acked)} keys (user, device, day); "
            f"lost {len(lost)}, above the highest sent {len(too_high)}, day totals wrong {len(wrong_totals)}, "
            f"leaderboard days differing from SQL {len(rankings_differ)}; stored but never acknowledged "
            f"{unacked_but_stored}; gave up {ledger.gave_up}; unexpected answers {len(ledger.unexpected)}"
        )
        print(
            f"chaos: pedometer_syncs_total over the nodes {counted}, acknowledged {ok} (more: a lost answer, retried)"
        )
        print(
            f"chaos: {'fault':34} {'requests':>8} {'errors':>7} {'rate':>7} {'errors stop after':>18} "
            f"{'first success':>14} {'first live update':>18}  error kinds"
        )
        for row in rows:
            first = f"{row['first_success']:.2f}s" if row["first_success"] is not None else "never"
            first_live = f"{row['first_live']:.2f}s" if row["first_live"] is not None else "never"
            print(
                f"chaos: {row['fault']:34} {row['requests']:>8} {row['errors']:>7} {row['rate']:>7.1%} "
                f"{row['recovery']:>17.2f}s {first:>14} {first_live:>18}  {row['kinds']}"
            )
        notes = marks.notes
        print(
            f"chaos: database: killed db{notes['db_killed']:.0f}; HAProxy moved the writes to "
            f"db{notes['db_new_writer']:.0f} after {notes['db_new_writer_after']:.2f}s; db{notes['db_killed']:.0f} "
            f"restarted, Synced again after {notes['db_rejoined_after']:.1f}s (IST); writes stayed on "
            f"db{notes['db_writer_after_rejoin']:.0f} (no failback)"
        )
        print(
            f"chaos: Redis: killed redis{notes['redis_killed']:.0f}; the Sentinels promoted the replica after "
            f"{notes['redis_promoted_after']:.2f}s; the old master restarted as a replica, in sync after "
            f"{notes['redis_rejoined_after']:.1f}s; live sockets reconnected {live.reconnects} times"
        )
        for day, (seconds, source) in leaderboard.items():
            shown = f"equals SQL after {seconds:.1f}s (answered from {source})" if seconds is not None else source
            print(f"chaos: GET /api/v1/rankings/day?date={day} through HAProxy {shown}")
        print(f"chaos: whole test {time.monotonic() - test_started:.0f}s after the cluster was up")

    assert ledger.unexpected == []
    assert len(ledger.acked) > PHONES  # the phones really synced, during the faults too
    assert lost == {}
    assert counted >= ok  # what operators see never hides an acknowledged sync
    assert too_high == {}
    assert wrong_totals == {}
    assert rankings_differ == []
    assert [day for day, (seconds, _) in leaderboard.items() if seconds is None] == []
    kill = next(row for row in rows if row["fault"].startswith("SIGKILL node"))
    assert kill["recovery"] <= NODE_KILL_RECOVERY_GOAL
    for fault in ("SIGKILL database primary", "SIGKILL Redis master"):
        row = next(row for row in rows if row["fault"] == fault)
        assert row["first_success"] is not None and row["first_success"] <= WRITES_RESUME_GOAL, row
        # Live sockets carry changes again after the fault (reconnected or resubscribed).
        assert row["first_live"] is not None, row
    assert marks.notes["db_writer_after_rejoin"] == marks.notes["db_new_writer"]  # no failback
    assert all(cluster.running().values())
