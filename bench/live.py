"""Live updates at scale: WebSockets on two server processes with the Redis
channel layer, and (at 1,000 sockets) the original design it replaced, every
watcher polling an HTTP endpoint that reads the database once a second.
Prints figures; asserts nothing.

    .venv/bin/python bench/live.py                    # 10,000 sockets (what `make bench` runs), ~3 minutes
    .venv/bin/python bench/live.py --watchers 1000    # 1,000 sockets + polling, as measured before issue #16

It starts its own MariaDB and Redis on free ports in a temporary directory (so
the database's ``Questions`` counter sees only this run) and two uvicorn
processes (``bench.live_app:application``: the real app plus the polling
endpoint) with the image's socket options. The open-files limit is raised to
the hard limit (``RLIMIT_NOFILE``; the servers inherit it). Then:

1. push, N sockets (10,000 by default): 80% on ``/ws/live/`` (the friends'
   feed: each watches 10 walkers), 20% on the real ``/ws/rankings/day/``
   (coalesced feed). The sockets live in client processes (2 above 1,000
   sockets) on uvloop, socket n on server process n mod 2: the clients split
   themselves over both ports, no proxy in between. Walkers sync through the
   REST API (``POST /api/v1/steps/sync``, an httpx keep-alive pool per server)
   at a steady rate, each in turn. The first 100 walkers get a head start that
   keeps them on the board's top 100, so each of their writes is a row every
   board socket must get; the others' writes reach their user feeds only.
   Printed: connect time, server RSS per process before and after connecting
   and per socket, Redis memory per socket, write -> watcher p50/p95/p99 per
   feed kind with delivered/expected, database queries a second, CPU, load;
2. the same with a tenth of the sockets and the same writes: the database's
   queries a second must not follow the number of watchers;
3. (``--poll``, the default up to 1,000 sockets) polling, N clients, then
   N/10: idle, then the same writes; latency to the first poll that shows it.

Defaults: up to 1,000 sockets, 50 walkers at 10 writes a second (the old
figures' workload: every user-feed socket gets 2 messages a second); above,
1,000 walkers at 20 writes a second (each walker syncs every 50 s while
someone watches; each write reaches 80 user feeds, a leader's the boards too).
``BENCH_PROFILE=/tmp/p`` writes a cProfile of each server's event loop (the whole
run, and cProfile slows the servers down); ``BENCH_PYSPY=/tmp/dir`` samples the
two servers and the client processes with py-spy (``BENCH_PYSPY_BIN``, else on
``PATH``) during the writes of the large phase only, as collapsed stacks, one
file a process: where the time goes while the latencies are measured, on both
sides of the sockets. ``BENCH_GC=1`` logs the servers' cyclic-collector pauses
(every full collection, and any other above 5 ms) to ``var/bench-live/node-*.log``.

Everything stops in a ``finally``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_PORT, REDIS_PORT = 3407, 6479
DB_NAME = "pedometer_bench"
SECRET_KEY = "bench-only-secret-key-long-enough-for-hs256-signing"  # noqa: S105 - a throwaway database
WATCHED_PER_SOCKET = 10
# The board sockets show today's top 100: the first 100 walkers are given a head
# start (``seed_leaders``) that keeps them there, so every write of theirs is a row
# every board socket must receive; the other walkers' writes reach user feeds only.
LEADERS = 100


# --- Services -----------------------------------------------------------------


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


def start_mariadb(workdir: Path) -> subprocess.Popen:
    datadir = workdir / "mariadb"
    datadir.mkdir()
    shutil.chown(workdir, "mysql", "mysql")
    shutil.chown(datadir, "mysql", "mysql")
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={datadir}",
            "--user=mysql",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            "/usr/sbin/mariadbd",
            "--no-defaults",
            f"--datadir={datadir}",
            "--user=mysql",
            f"--port={DB_PORT}",
            "--bind-address=127.0.0.1",
            f"--socket={workdir / 'mariadb.sock'}",
            f"--pid-file={workdir / 'mariadb.pid'}",
            "--innodb-buffer-pool-size=256M",
            "--max-connections=500",
            "--skip-log-bin",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "mariadb.log").open("w"),
    )
    wait_port(DB_PORT)
    return process


def start_redis(workdir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    wait_port(REDIS_PORT)
    return process


def node_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"mysql://root@127.0.0.1:{DB_PORT}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY": SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ACCESS_TOKEN_MINUTES": "60",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_SYNC_USER": "1000000/min",  # counted, never refused: the bench measures delivery
    }


def start_node(port: int, workdir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "bench.live_app:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    # The socket options the image runs with (deploy/docker/entrypoint.sh); BENCH_LIVE_UVICORN
    # appends more, e.g. "--ws-per-message-deflate true" to measure what compression costs.
    command += ["--ws-max-size", "65536", "--ws-per-message-deflate", "false"]
    command += os.environ.get("BENCH_LIVE_UVICORN", "").split()
    return subprocess.Popen(
        command, cwd=ROOT, env=node_env(), stdout=subprocess.DEVNULL, stderr=(workdir / f"node-{port}.log").open("w")
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        if os.environ.get("BENCH_PROFILE") and "uvicorn" in process.args:
            process.send_signal(signal.SIGUSR1)  # bench/live_app.py writes its profile
            time.sleep(2)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# --- Data -----------------------------------------------------------------------


def prepare_database(n_watchers: int, n_walkers: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Migrates the bench database and makes the users; returns (uuid, access token) pairs."""
    import MySQLdb

    connection = MySQLdb.connect(host="127.0.0.1", port=DB_PORT, user="root")
    connection.cursor().execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()
    for name, value in node_env().items():
        os.environ[name] = value
    os.environ["DJANGO_SETTINGS_MODULE"] = "pedometer_site.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    call_command("migrate", verbosity=0)
    people = [
        User(email=f"{role}{n}@bench.example", display_name=f"{role.title()} {n}", password="!")  # noqa: S106 - unusable
        for role, count in (("walker", n_walkers), ("watcher", n_watchers))
        for n in range(count)
    ]
    User.objects.bulk_create(people, batch_size=500)
    made = list(User.objects.order_by("id"))
    pairs = [(str(user.uuid), str(AccessToken.for_user(user))) for user in made]
    connections.close_all()
    return pairs[:n_walkers], pairs[n_walkers:]


class Questions:
    def __init__(self) -> None:
        import MySQLdb

        self.connection = MySQLdb.connect(host="127.0.0.1", port=DB_PORT, user="root")

    def __call__(self) -> int:
        cursor = self.connection.cursor()
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Questions'")
        return int(cursor.fetchone()[1])


# --- Measuring ------------------------------------------------------------------


class Ledger:
    """Every write of the current phase: walker -> increasing values and send times."""

    # Counts only go up (max-wins), across phases too, or a write would change nothing.
    current: dict[str, int] = {}

    def __init__(self) -> None:
        self.values: dict[str, list[int]] = {}
        self.times: dict[str, list[float]] = {}
        self.writes = 0

    def next_value(self, walker: str) -> int:
        value = self.current.get(walker, 0) + random.randint(1, 100)
        self.current[walker] = value
        return value

    def sent(self, walker: str, value: int, at: float) -> None:
        self.values.setdefault(walker, []).append(value)
        self.times.setdefault(walker, []).append(at)
        self.writes += 1

    def seen(self, walker: str, old: int, new: int, at: float) -> list[float]:
        """Latencies of the writes a watcher now sees for the first time (old < value <= new)."""
        values = self.values.get(walker)
        if not values or new <= old:
            return []
        first, last = bisect.bisect_right(values, old), bisect.bisect_right(values, new)
        return [at - sent for sent in self.times[walker][first:last]]

    def count_for(self, walkers: list[str]) -> int:
        return sum(len(self.values.get(walker, [])) for walker in walkers)


@dataclass
class Watcher:
    walkers: list[str]
    last: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    board: bool = False
    messages: int = 0

    def see(self, ledger: Ledger | None, walker: str, steps: int) -> None:
        old = self.last.get(walker, 0)
        if steps > old:
            self.last[walker] = steps
            if ledger is not None:
                self.latencies.extend(ledger.seen(walker, old, steps, time.monotonic()))


def percentiles(values: list[float]) -> str:
    if not values:
        return "no deliveries"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    return (
        f"p50 {at(0.5):6.1f} ms  p95 {at(0.95):6.1f} ms  p99 {at(0.99):6.1f} ms  "
        f"max {ordered[-1] * 1000:6.1f} ms  (n={len(ordered)})"
    )


@dataclass
class Phase:
    ledger: Ledger | None = None  # set while writes count


class ClientLoad:
    """This process (all the clients) measures itself too: on a shared machine its own
    event-loop lag is part of every latency it reports."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            asked = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags.append(time.monotonic() - asked - 0.01)

    def start(self) -> None:
        self.lags = []
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu, self.since = usage.ru_utime + usage.ru_stime, time.monotonic()

    def figures(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (usage.ru_utime + usage.ru_stime - self.cpu) / (time.monotonic() - self.since)
        return {"client_cpu": cpu, "client_lag": list(self.lags)}


CLIENT: ClientLoad | None = None


# --- Writers (phones syncing through REST) -----------------------------------------


@dataclass
class Phones:
    """The walkers' phones: ``POST /api/v1/steps/sync`` over a keep-alive HTTP/1.1 pool per server process."""

    clients: list
    tokens: dict[str, str]

    @classmethod
    def open(cls, nodes: list[int], walkers: list[tuple[str, str]]) -> Phones:
        import httpx

        # Idle connections are dropped before the server's keep-alive timeout (uvicorn's
        # 5 s) drops them: a POST on a connection the server is closing fails (ReadError),
        # and is not retried, so its write never happens and its deliveries are missing.
        limits = httpx.Limits(
            max_connections=len(walkers), max_keepalive_connections=len(walkers), keepalive_expiry=2.0
        )
        clients = [
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{node}", limits=limits, timeout=30.0) for node in nodes
        ]
        return cls(clients=clients, tokens=dict(walkers))

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def write_steadily(phones: Phones, ledger: Ledger, seconds: float, rate: float) -> list[float]:
    """Syncs at ``rate`` a second, each walker in turn, alternating the server processes;
    returns the response times (write round trips)."""
    today = datetime.now(UTC).date().isoformat()
    walkers = list(phones.tokens)
    acks: list[float] = []
    refused = [0]

    async def sync(n: int, walker: str, value: int, at: float) -> None:
        response = await phones.clients[n % len(phones.clients)].post(
            "/api/v1/steps/sync",
            json={"days": [{"date": today, "steps": value}]},
            headers={"Authorization": f"Bearer {phones.tokens[walker]}"},
        )
        if response.status_code == 200:
            acks.append(time.monotonic() - at)
        else:
            refused[0] += 1
            if refused[0] <= 3:
                print(f"  write refused: {response.status_code} {response.text[:200]}", file=sys.stderr)

    # Each write in its own task, so a slow response does not hold back the next write.
    writes = []
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < seconds:
        walker = walkers[n % len(walkers)]
        value = ledger.next_value(walker)
        at = time.monotonic()
        ledger.sent(walker, value, at)
        writes.append(asyncio.create_task(sync(n, walker, value, at)))
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
    await asyncio.wait(writes, timeout=30)  # let the last responses in
    await asyncio.sleep(max(0.0, started + seconds + 1.0 - time.monotonic()))  # the phases count on a 1 s tail
    if refused[0]:
        print(f"  {refused[0]} writes refused", file=sys.stderr)
    return acks


# --- Watchers: client processes ------------------------------------------------------
#
# The sockets live in their own processes (``--client-processes``), each on its own
# uvloop event loop, so the client is not what saturates first; the parent only
# writes (REST) and keeps the ledger. time.monotonic() is the system's monotonic
# clock, the same in every process, so a send time taken here and a receive time
# taken there subtract.


@dataclass
class SocketSpec:
    url: str
    walkers: list[str]  # the users whose counts it should see
    board: bool


class WatcherProcess:
    """The parent's handle on one client process: commands over a pipe, answers back."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=client_process, args=(child,), daemon=True)
        self.process.start()

    async def ask(self, *command):
        self.conn.send(command)
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(("exit",))
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()


def client_process(conn) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        uvloop.run(_client_loop(conn))
    except ImportError:  # pragma: no cover - uvloop is in the pinned requirements
        asyncio.run(_client_loop(conn))


async def _client_loop(conn) -> None:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    specs: list[SocketSpec] = []
    states: list[Watcher] = []
    sockets: list = []
    listeners: list[asyncio.Task] = []
    opened_at: list[float] = []
    ready: list[float] = []
    recording = [False]
    observed: list[list[tuple[str, int, int, float]]] = []  # per socket: (walker, old, new, at)
    load = ClientLoad()
    failures: list[str] = []

    async def listen(n: int, ws) -> None:
        state = states[n]
        seen = observed[n]
        last = state.last
        try:
            async for raw in ws:
                message = json.loads(raw)
                state.messages += 1
                kind = message["type"]
                if kind == "snapshot":
                    rows = message["rows"] if state.board else message["totals"]
                    for row in rows:
                        last[row["user"]] = max(last.get(row["user"], 0), row["steps"])
                    ready[n] = time.monotonic()
                    continue
                rows = message["rows"] if kind == "rows" else (message,) if kind == "steps" else ()
                at = time.monotonic()
                for row in rows:
                    walker, steps = row["user"], row["steps"]
                    old = last.get(walker, 0)
                    if steps > old:
                        last[walker] = steps
                        if recording[0]:
                            seen.append((walker, old, steps, at))
        except Exception as exc:  # a socket that ends early is a figure (failures), not a crash
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    async def open_one(n: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            opened_at[n] = time.monotonic()
            try:
                ws = await connect(specs[n].url, ping_interval=None, open_timeout=120, close_timeout=2)
            except Exception as exc:
                failures.append(f"connect: {type(exc).__name__}: {exc}"[:200])
                return
            sockets[n] = ws
            listeners[n] = asyncio.create_task(listen(n, ws))

    while True:
        command = await loop.run_in_executor(None, conn.recv)
        name = command[0]
        if name == "open":
            specs = command[1]
            concurrency = command[2]
            count = len(specs)
            states = [Watcher(walkers=spec.walkers, board=spec.board) for spec in specs]
            sockets, listeners = [None] * count, [None] * count
            opened_at, ready = [0.0] * count, [0.0] * count
            observed = [[] for _ in specs]
            failures = []
            began = time.monotonic()
            gate = asyncio.Semaphore(concurrency)
            await asyncio.gather(*(open_one(n, gate) for n in range(count)))
            while time.monotonic() - began < 300 and sum(1 for at in ready if at) + len(failures) < count:
                await asyncio.sleep(0.05)
            times = [at - opened_at[n] for n, at in enumerate(ready) if at]
            # The sockets and their state live until "close": out of the cyclic
            # collector's reach, or each full collection walks them all, and every
            # latency this process measures includes its own stalls (its event-loop
            # lag while writing went from max 1.47 s to 0.22 s at 10,000 sockets).
            # And, as the servers do (pedometer_site/asgi.py), young objects are
            # collected every 20,000, not 700: a message's objects are gone by then.
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, *gc.get_threshold()[1:])
            conn.send({"opened": len(times), "seconds": time.monotonic() - began, "times": times, "failures": failures})
        elif name == "start":
            for seen in observed:
                seen.clear()
            for state in states:
                state.messages = 0
            recording[0] = True
            load.start()
            conn.send("started")
        elif name == "count":
            conn.send(sum(len(seen) for seen in observed))
        elif name == "stop":
            recording[0] = False
            figures = load.figures()
            values, times = command[1], command[2]
            live, board, expected_live, expected_board, board_messages = [], [], 0, 0, []
            for n, state in enumerate(states):
                if sockets[n] is None:
                    continue
                out = board if state.board else live
                wanted = set(state.walkers)
                for walker, old, new, at in observed[n]:
                    sent = values.get(walker) if walker in wanted else None
                    if sent:
                        first, last = bisect.bisect_right(sent, old), bisect.bisect_right(sent, new)
                        out.extend(at - t for t in times[walker][first:last])
                written = sum(len(values.get(walker, ())) for walker in state.walkers)
                if state.board:
                    expected_board += written
                    board_messages.append(state.messages)
                else:
                    expected_live += written
            conn.send(
                {
                    "live": live,
                    "board": board,
                    "expected_live": expected_live,
                    "expected_board": expected_board,
                    "board_messages": board_messages,
                    "failures": list(failures),
                    **figures,
                }
            )
        elif name == "close":
            gc.unfreeze()
            await asyncio.gather(*(ws.close() for ws in sockets if ws is not None), return_exceptions=True)
            for task in listeners:
                if task is not None:
                    task.cancel()
            sockets, listeners = [], []
            conn.send("closed")
        elif name == "exit":
            return


# --- Push -------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class RedisInfo:
    def __init__(self, port: int) -> None:
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=port)

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def channels(self) -> int:
        return int(self.client.info("stats")["pubsub_channels"])


def socket_specs(nodes, watchers, walkers, *, n_live, n_board, watched_per_socket) -> list[SocketSpec]:
    """Socket ``n`` goes to server process ``n % 2``: the clients split themselves over
    both ports (no proxy in between). User-feed sockets watch ``watched_per_socket``
    walkers each (friends, spread evenly); board sockets watch today's board, whose
    top 100 are the leaders."""
    walker_ids = [walker for walker, _ in walkers]
    leaders = walker_ids[:LEADERS]
    specs = []
    for n, (_, token) in enumerate(watchers[: n_live + n_board]):
        node = nodes[n % 2]
        if n < n_live:
            watched = [walker_ids[(n * 7 + k) % len(walker_ids)] for k in range(watched_per_socket)]
            watched = list(dict.fromkeys(watched))
            specs.append(
                SocketSpec(f"ws://127.0.0.1:{node}/ws/live/?users={','.join(watched)}&token={token}", watched, False)
            )
        else:
            specs.append(SocketSpec(f"ws://127.0.0.1:{node}/ws/rankings/day/?token={token}", leaders, True))
    return specs


async def seed_leaders(phones: Phones, walkers) -> None:
    """The leaders' head start: far above what any other walker reaches in a run."""
    today = datetime.now(UTC).date().isoformat()
    for n, (walker, token) in enumerate(walkers[:LEADERS]):
        value = Ledger.current[walker] = (
            20_000 + n * 100
        )  # below the 50,000 above which a day is flagged (steps/services.py)
        response = await phones.clients[n % len(phones.clients)].post(
            "/api/v1/steps/sync",
            json={"days": [{"date": today, "steps": value}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()


async def warm_up(nodes, watchers, walkers) -> None:
    """A few sockets of each kind on each process first, so what the first sockets
    load (modules, URL patterns, the feed task) is not counted as per-socket memory."""
    from websockets.asyncio.client import connect

    walker_ids = [walker for walker, _ in walkers]
    for n, (_, token) in enumerate(watchers[:8]):
        node = nodes[n % 2]
        url = (
            f"ws://127.0.0.1:{node}/ws/live/?users={walker_ids[n % len(walker_ids)]}&token={token}"
            if n < 4
            else f"ws://127.0.0.1:{node}/ws/rankings/day/?token={token}"
        )
        async with connect(url, ping_interval=None) as ws:
            await ws.recv()
            if n < 4:
                await ws.recv()
    await asyncio.sleep(1)


def start_spies(label: str, servers: list[int], clients: list[int], seconds: float) -> list[subprocess.Popen]:
    """py-spy on each server and client process for ``seconds`` (``BENCH_PYSPY``)."""
    directory = Path(os.environ["BENCH_PYSPY"])
    directory.mkdir(parents=True, exist_ok=True)
    binary = os.environ.get("BENCH_PYSPY_BIN") or shutil.which("py-spy") or "py-spy"
    tag = label.split(":")[1].split("(")[0].strip().replace(" ", "-")
    named = [(f"server{k + 1}", pid) for k, pid in enumerate(servers)]
    named += [(f"client{k + 1}", pid) for k, pid in enumerate(clients)]
    return [
        subprocess.Popen(
            [
                *(binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100"),
                *("--nonblocking", "--threads", "--format", "raw", "--output", str(directory / f"{tag}-{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in named
    ]


async def push_phase(
    label, nodes, pids, services, clients, watchers, walkers, phones, *, n_live, n_board, args, write_s, idle_s, spying
) -> dict:
    questions, redis_info = services
    specs = socket_specs(nodes, watchers, walkers, n_live=n_live, n_board=n_board, watched_per_socket=args.watched)
    load_before = os.getloadavg()
    rss0 = [rss_bytes(pid) for pid in pids]
    redis0, channels0 = redis_info.used_memory(), redis_info.channels()
    # Client process k takes every k-th socket, so each client holds sockets on both servers.
    began = time.monotonic()
    opened = await asyncio.gather(
        *(client.ask("open", specs[k :: len(clients)], args.connect_concurrency) for k, client in enumerate(clients))
    )
    connect_s = time.monotonic() - began
    await asyncio.sleep(2)
    rss1 = [rss_bytes(pid) for pid in pids]
    redis1, channels1 = redis_info.used_memory(), redis_info.channels()
    handshakes = [t for answer in opened for t in answer["times"]]
    failures = [f for answer in opened for f in answer["failures"]]

    q0, c0 = questions(), cpu_seconds(pids)
    await asyncio.sleep(idle_s)
    q1, c1 = questions(), cpu_seconds(pids)
    ledger = Ledger()
    await asyncio.gather(*(client.ask("start") for client in clients))
    spies = start_spies(label, pids, [client.process.pid for client in clients], write_s) if spying else []
    acks = await write_steadily(phones, ledger, write_s, args.rate)
    for spy in spies:
        spy.wait()
    q2, c2 = questions(), cpu_seconds(pids)
    load_writing = os.getloadavg()
    rss2 = [rss_bytes(pid) for pid in pids]
    write_window = write_s + 1.0
    # Late deliveries count as delivered (their latency says how late): wait until
    # nothing new has arrived for 2 s, at most 30 s.
    drained_at, last_count, quiet_since = time.monotonic() + 30, -1, time.monotonic()
    while time.monotonic() < drained_at:
        count = sum(await asyncio.gather(*(client.ask("count") for client in clients)))
        if count != last_count:
            last_count, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= 2:
            break
        await asyncio.sleep(0.5)
    answers = await asyncio.gather(*(client.ask("stop", ledger.values, ledger.times) for client in clients))
    await asyncio.gather(*(client.ask("close") for client in clients))
    # Channels unsubscribes closed sockets in the background: let it finish before
    # the next phase takes its "before" figures.
    deadline = time.monotonic() + 20
    while redis_info.channels() > channels0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    live = [t for answer in answers for t in answer["live"]]
    board = [t for answer in answers for t in answer["board"]]
    board_messages = [m for answer in answers for m in answer["board_messages"]]
    sockets_per_node = [sum(1 for n in range(len(specs)) if n % 2 == k) for k in range(len(pids))]
    return {
        "label": label,
        "sockets": len(specs),
        "opened": sum(answer["opened"] for answer in opened),
        "connect_s": connect_s,
        "handshake": handshakes,
        "connect_failures": failures,
        "rss": list(zip(rss0, rss1, rss2, sockets_per_node, strict=True)),
        "redis_memory": (redis0, redis1),
        "redis_channels": (channels0, channels1),
        "idle_qps": (q1 - q0) / idle_s,
        "write_qps": (q2 - q1) / write_window,
        "writes": ledger.writes,
        "queries_per_write": (q2 - q1) / max(1, ledger.writes),
        "idle_cpu": (c1 - c0) / idle_s,
        "write_cpu": (c2 - c1) / write_window,
        "acks": acks,
        "live": live,
        "board": board,
        "live_delivered": f"{len(live)}/{sum(answer['expected_live'] for answer in answers)}",
        "board_delivered": f"{len(board)}/{sum(answer['expected_board'] for answer in answers)}",
        "board_msgs_per_socket_per_s": (statistics.mean(board_messages) / write_window) if board_messages else 0,
        "client_cpu": sum(answer["client_cpu"] for answer in answers),
        "client_lag": [lag for answer in answers for lag in answer["client_lag"]],
        "socket_failures": [f for answer in answers for f in answer["failures"]],
        "load": (load_before, load_writing),
    }


# --- Polling --------------------------------------------------------------------


async def poll_phase(label, nodes, pids, questions, watchers, walkers, phones, *, n_clients, idle_s, write_s, rate):
    phase = Phase()
    walker_ids = [walker for walker, _ in walkers]
    stop = asyncio.Event()
    states: list[Watcher] = []
    response_times: list[float] = []
    polls = [0]

    async def poller(n: int, token: str) -> None:
        watched = [walker_ids[(n * 7 + k) % len(walker_ids)] for k in range(WATCHED_PER_SOCKET)]
        state = Watcher(walkers=watched)
        states.append(state)
        reader, writer = await asyncio.open_connection("127.0.0.1", nodes[n % 2])
        request = (
            f"GET /bench/poll?users={','.join(watched)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        await asyncio.sleep(random.random())
        next_at = time.monotonic()
        while not stop.is_set():
            asked = time.monotonic()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            body = json.loads(await reader.readexactly(length))
            response_times.append(time.monotonic() - asked)
            polls[0] += 1
            for total in body.get("totals", []):
                state.see(phase.ledger, total["user"], total["steps"])
            next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        writer.close()

    tasks = [asyncio.create_task(poller(n, token)) for n, (_, token) in enumerate(watchers[:n_clients])]
    await asyncio.sleep(3)  # every poller has started and polled at least once or twice
    q0, c0, p0 = questions(), cpu_seconds(pids), polls[0]
    await asyncio.sleep(idle_s)
    q1, c1, p1 = questions(), cpu_seconds(pids), polls[0]
    phase.ledger = ledger = Ledger()
    CLIENT.start()
    acks = await write_steadily(phones, ledger, write_s, rate)
    await asyncio.sleep(1.5)  # a last round of polls sees the last writes
    q2, c2 = questions(), cpu_seconds(pids)
    client = CLIENT.figures()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    write_window = write_s + 2.5
    latencies = [latency for state in states for latency in state.latencies]
    expected = sum(ledger.count_for(state.walkers) for state in states)
    return {
        "label": label,
        "idle_qps": (q1 - q0) / idle_s,
        "write_qps": (q2 - q1) / write_window,
        "writes": ledger.writes,
        "idle_cpu": (c1 - c0) / idle_s,
        "write_cpu": (c2 - c1) / write_window,
        "polls_per_s": (p1 - p0) / idle_s,
        "acks": acks,
        "live": latencies,
        "live_delivered": f"{len(latencies)}/{expected}",
        "response": response_times,
        **client,
    }


# --- Run ----------------------------------------------------------------------------


def megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def report(result: dict) -> None:
    print(f"\n== {result['label']}")
    if "connect_s" in result:
        failed = len(result["connect_failures"])
        print(
            f"  sockets opened: {result['opened']}/{result['sockets']} in {result['connect_s']:.1f} s "
            f"({result['opened'] / max(result['connect_s'], 1e-9):.0f}/s; handshake to snapshot "
            f"{percentiles(result['handshake'])}){f'; {failed} failed' if failed else ''}"
        )
        for problem in result["connect_failures"][:3]:
            print(f"    {problem}")
        load_before, load_writing = result["load"]
        print(f"  load average: {load_before[0]:.2f} before connecting, {load_writing[0]:.2f} after writing")
        total_delta = 0
        for k, (before, connected, after, sockets) in enumerate(result["rss"]):
            total_delta += connected - before
            print(
                f"  server process {k + 1} RSS: {megabytes(before)} before, {megabytes(connected)} with {sockets} "
                f"sockets ({(connected - before) / max(sockets, 1) / 1024:.1f} KiB a socket), "
                f"{megabytes(after)} after writing"
            )
        redis_before, redis_after = result["redis_memory"]
        channels_before, channels_after = result["redis_channels"]
        print(
            f"  memory per socket: {total_delta / max(result['opened'], 1) / 1024:.1f} KiB of server RSS; Redis "
            f"{(redis_after - redis_before) / max(result['opened'], 1):.0f} bytes ({megabytes(redis_before)} -> "
            f"{megabytes(redis_after)}; pub/sub channels {channels_before} -> {channels_after})"
        )
    if "polls_per_s" in result:
        print(f"  polls answered: {result['polls_per_s']:.0f}/s; poll response {percentiles(result['response'])}")
    per_write = f", {result['queries_per_write']:.1f} a write" if "queries_per_write" in result else ""
    print(
        f"  DB queries/s: idle {result['idle_qps']:7.1f}   writing {result['write_qps']:7.1f}"
        f"   ({result['writes']} writes{per_write})"
    )
    print(f"  server CPU (both processes, in cores): idle {result['idle_cpu']:.2f}   writing {result['write_cpu']:.2f}")
    print(
        f"  clients while writing: CPU {result['client_cpu']:.2f} cores, "
        f"event-loop lag {percentiles(result['client_lag'])}"
    )
    print(f"  write round trip (REST sync): {percentiles(result['acks'])}")
    print(f"  write -> watcher sees it (users): {percentiles(result['live'])}  delivered {result['live_delivered']}")
    if result.get("board") is not None and "board_delivered" in result:
        board = percentiles(result["board"])
        print(f"  write -> board socket sees it:    {board}  delivered {result['board_delivered']}")
        print(f"  board messages per socket: {result['board_msgs_per_socket_per_s']:.2f}/s (coalesced, at most 4/s)")
    for problem in result.get("socket_failures", [])[:3]:
        print(f"  a socket ended early: {problem}")


def compare(large: dict, small: dict) -> None:
    print(
        f"\n== database queries a second while writing: {large['write_qps']:.1f} with {large['opened']} sockets, "
        f"{small['write_qps']:.1f} with {small['opened']} ({large['queries_per_write']:.1f} and "
        f"{small['queries_per_write']:.1f} a write): the watchers add "
        f"{large['write_qps'] - small['write_qps']:+.1f}/s"
    )


async def run(args, nodes, pids, walkers, watchers) -> list[dict]:
    global CLIENT
    CLIENT = ClientLoad()
    services = (Questions(), RedisInfo(args.redis_port))
    phones = Phones.open(nodes, walkers)
    clients = [WatcherProcess() for _ in range(args.client_processes)]
    results = []
    try:
        await seed_leaders(phones, walkers)
        await warm_up(nodes, watchers, walkers)
        # The same writes for the same time with a tenth of the sockets: what the
        # database does must not follow the number of watchers.
        for sockets in (args.watchers, args.watchers // 10):
            n_board = sockets // 5
            results.append(
                await push_phase(
                    f"push: {sockets} sockets ({sockets - n_board} users, {n_board} board)",
                    nodes, pids, services, clients, watchers, walkers, phones,
                    n_live=sockets - n_board, n_board=n_board, args=args,
                    write_s=args.write, idle_s=args.idle,
                    spying=bool(os.environ.get("BENCH_PYSPY")) and sockets == args.watchers,
                )
            )  # fmt: skip
            report(results[-1])
        compare(results[0], results[1])
    finally:
        for client in clients:
            client.stop()
    small = args.watchers // 10
    if args.poll:
        questions = services[0]
        for clients_n, scale in ((args.watchers, 1), (small, 2)):
            results.append(
                await poll_phase(
                    f"poll once a second: {clients_n} clients",
                    nodes, pids, questions, watchers, walkers, phones,
                    n_clients=clients_n, idle_s=args.idle / scale, write_s=args.write / scale, rate=args.rate,
                )
            )  # fmt: skip
            report(results[-1])
    await phones.close()
    return results


# The two sizes the README quotes: 1,000 sockets is the comparison with polling it
# always had (``--watchers 1000``); 10,000 is issue #16's goal and what `make bench` runs.
PRESETS = {
    "small": {"walkers": 50, "watched": WATCHED_PER_SOCKET, "rate": 10.0, "client_processes": 1, "poll": True},
    "large": {"walkers": 1000, "watched": WATCHED_PER_SOCKET, "rate": 20.0, "client_processes": 2, "poll": False},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    global DB_PORT, REDIS_PORT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--watchers", type=int, default=10000, help="sockets in the large push phase")
    parser.add_argument("--walkers", type=int, help="users who write (default 50 up to 1,000 sockets, else 1,000)")
    parser.add_argument("--watched", type=int, help=f"walkers each user-feed socket watches ({WATCHED_PER_SOCKET})")
    parser.add_argument("--rate", type=float, help="writes a second (10 up to 1,000 sockets, else 20)")
    parser.add_argument("--idle", type=float, default=8.0, help="seconds idle per phase")
    parser.add_argument("--write", type=float, default=30.0, help="seconds writing per phase")
    parser.add_argument("--client-processes", type=int, help="processes holding the sockets (1 up to 1,000, else 2)")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight per client process")
    parser.add_argument("--poll", action=argparse.BooleanOptionalAction, help="the polling phases (up to 1,000 only)")
    args = parser.parse_args()
    preset = PRESETS["small" if args.watchers <= 1000 else "large"]
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.walkers = max(args.walkers, args.watched)
    # Free ports, not fixed ones: two runs on one machine must not meet.
    DB_PORT, REDIS_PORT = free_port(), free_port()
    args.redis_port = REDIS_PORT

    # Each process holds its sockets' file descriptors: 10,000 client sockets and
    # 5,000 per server process, above the usual soft limit of 1,024. The servers
    # inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(
        f"bench/live.py: {os.cpu_count()} cores (shared with whatever else runs), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.watchers} sockets, "
        f"{args.walkers} walkers, "
        f"{args.watched} watched a user-feed socket, {args.rate:g} writes/s; {args.client_processes} client "
        f"process(es); open files limit raised from {soft} to {hard} (RLIMIT_NOFILE, inherited by the servers)"
    )
    if args.watchers * 2 + 100 > hard * args.client_processes:
        print(f"  warning: {hard} open files may be too few for {args.watchers} sockets", file=sys.stderr)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="pedometer-bench-live-"))
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start_mariadb(workdir))
        processes.append(start_redis(workdir))
        walkers, watchers = prepare_database(args.watchers, args.walkers)
        ports = [free_port() for _ in range(2)]
        nodes = [start_node(port, workdir) for port in ports]
        processes.extend(nodes)
        for port in ports:
            wait_port(port, timeout=60)
        print(f"set up in {time.monotonic() - started:.0f} s (MariaDB, Redis, migrations, users, 2 uvicorn processes)")
        asyncio.run(run(args, ports, [node.pid for node in nodes], walkers, watchers))
    finally:
        for process in reversed(processes):
            stop(process)
        kept = ROOT / "var" / "bench-live"
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        for log in sorted(workdir.glob("*.log")):
            shutil.copy(log, kept / log.name)
            if log.name.startswith("node-") and any(word in log.read_text() for word in ("ERROR", "Traceback")):
                print(f"\nthe server processes logged problems: see {kept / log.name}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntotal {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
