"""Live updates: push (WebSockets + Redis channel layer) against the original
design (every watcher polls an HTTP endpoint that reads the database once a
second), with the same clients, in one run. Prints figures; asserts nothing.

    .venv/bin/python bench/live.py            # about two and a half minutes

It starts its own MariaDB (port 3407) and Redis (port 6479) in a temporary
directory, so the database's ``Questions`` counter sees only this run, and
two uvicorn processes (``bench.live_app:application``: the real app plus the
polling endpoint). Then:

1. push, 1,000 sockets split over the two processes: 800 on ``/ws/live/``
   each watching 10 of 50 walkers, 200 on the real ``/ws/rankings/day/``
   (coalesced feed); idle, then walkers sync through the REST API
   (``POST /api/v1/steps/sync``, an httpx keep-alive pool per process) at a
   steady rate; latency from write to delivery at every watcher;
2. the same with 100 sockets, to show the database load does not follow the
   number of watchers;
3. polling, 1,000 clients (the same watchers), then 100: idle, then the same
   writes; latency from write to the first poll that shows it.

Everything stops in a ``finally``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
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
    return subprocess.Popen(
        command, cwd=ROOT, env=node_env(), stdout=subprocess.DEVNULL, stderr=(workdir / f"node-{port}.log").open("w")
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
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
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
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

        limits = httpx.Limits(max_connections=len(walkers), max_keepalive_connections=len(walkers))
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


# --- Push -------------------------------------------------------------------------


async def push_phase(
    label, nodes, pids, questions, watchers, walkers, phones, *, n_live, n_board, idle_s, write_s, rate
) -> dict:
    from websockets.asyncio.client import connect

    phase = Phase()
    walker_ids = [walker for walker, _ in walkers]
    states: list[Watcher] = []
    sockets = []
    listeners = []

    async def listen(ws, state: Watcher) -> None:
        async for raw in ws:
            message = json.loads(raw)
            state.messages += 1
            kind = message["type"]
            if kind == "snapshot" and state.board:
                for row in message["rows"]:
                    state.see(None, row["user"], row["steps"])
            elif kind == "snapshot":
                for total in message["totals"]:
                    state.see(None, total["user"], total["steps"])
            elif kind == "steps":
                state.see(phase.ledger, message["user"], message["steps"])
            elif kind == "rows":
                for row in message["rows"]:
                    state.see(phase.ledger, row["user"], row["steps"])

    async def open_one(n: int, token: str) -> None:
        node = nodes[n % 2]
        if n < n_live:
            watched = [walker_ids[(n * 7 + k) % len(walker_ids)] for k in range(WATCHED_PER_SOCKET)]
            state = Watcher(walkers=watched)
            url = f"ws://127.0.0.1:{node}/ws/live/?users={','.join(watched)}&token={token}"
        else:
            state = Watcher(walkers=walker_ids, board=True)
            url = f"ws://127.0.0.1:{node}/ws/rankings/day/?token={token}"
        ws = await connect(url, ping_interval=None, open_timeout=60)
        sockets.append(ws)
        states.append(state)
        listeners.append(asyncio.create_task(listen(ws, state)))

    began = time.monotonic()
    tokens = [token for _, token in watchers[: n_live + n_board]]
    for start in range(0, len(tokens), 50):
        await asyncio.gather(*(open_one(start + k, token) for k, token in enumerate(tokens[start : start + 50])))
    connect_s = time.monotonic() - began
    await asyncio.sleep(2)

    q0, c0 = questions(), cpu_seconds(pids)
    await asyncio.sleep(idle_s)
    q1, c1 = questions(), cpu_seconds(pids)
    phase.ledger = ledger = Ledger()
    CLIENT.start()
    acks = await write_steadily(phones, ledger, write_s, rate)
    q2, c2 = questions(), cpu_seconds(pids)
    client = CLIENT.figures()
    await asyncio.sleep(0.5)
    write_window = write_s + 1.0

    live = [latency for state in states if not state.board for latency in state.latencies]
    board = [latency for state in states if state.board for latency in state.latencies]
    expected_live = sum(ledger.count_for(state.walkers) for state in states if not state.board)
    expected_board = sum(ledger.writes for state in states if state.board)
    board_messages = [state.messages for state in states if state.board]
    for ws in sockets:
        await ws.close()
    return {
        "label": label,
        "connect_s": connect_s,
        "idle_qps": (q1 - q0) / idle_s,
        "write_qps": (q2 - q1) / write_window,
        "writes": ledger.writes,
        "queries_per_write": (q2 - q1) / max(1, ledger.writes),
        "idle_cpu": (c1 - c0) / idle_s,
        "write_cpu": (c2 - c1) / write_window,
        "acks": acks,
        "live": live,
        "board": board,
        "live_delivered": f"{len(live)}/{expected_live}",
        "board_delivered": f"{len(board)}/{expected_board}",
        "board_msgs_per_socket_per_s": (statistics.mean(board_messages) / write_window) if board_messages else 0,
        **client,
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


def report(result: dict) -> None:
    print(f"\n== {result['label']}")
    if "connect_s" in result:
        print(f"  sockets opened in {result['connect_s']:.1f} s")
    if "polls_per_s" in result:
        print(f"  polls answered: {result['polls_per_s']:.0f}/s; poll response {percentiles(result['response'])}")
    per_write = f", {result['queries_per_write']:.1f} a write" if "queries_per_write" in result else ""
    print(
        f"  DB queries/s: idle {result['idle_qps']:7.1f}   writing {result['write_qps']:7.1f}"
        f"   ({result['writes']} writes{per_write})"
    )
    print(f"  server CPU (both processes, in cores): idle {result['idle_cpu']:.2f}   writing {result['write_cpu']:.2f}")
    print(
        f"  clients (this process) while writing: CPU {result['client_cpu']:.2f} cores, "
        f"event-loop lag {percentiles(result['client_lag'])}"
    )
    print(f"  write round trip (REST sync): {percentiles(result['acks'])}")
    print(f"  write -> watcher sees it (users): {percentiles(result['live'])}  delivered {result['live_delivered']}")
    if result.get("board") is not None and "board_delivered" in result:
        board = percentiles(result["board"])
        print(f"  write -> board socket sees it:    {board}  delivered {result['board_delivered']}")
        print(f"  board messages per socket: {result['board_msgs_per_socket_per_s']:.2f}/s (coalesced, at most 4/s)")


async def run(args, nodes, pids, walkers, watchers) -> list[dict]:
    global CLIENT
    CLIENT = ClientLoad()
    questions = Questions()
    phones = Phones.open(nodes, walkers)
    results = []
    n_board = args.watchers // 5
    results.append(
        await push_phase(
            f"push: {args.watchers} sockets ({args.watchers - n_board} users, {n_board} board)",
            nodes, pids, questions, watchers, walkers, phones,
            n_live=args.watchers - n_board, n_board=n_board, idle_s=args.idle, write_s=args.write, rate=args.rate,
        )
    )  # fmt: skip
    report(results[-1])
    small = args.watchers // 10
    results.append(
        await push_phase(
            f"push: {small} sockets ({small - small // 5} users, {small // 5} board)",
            nodes, pids, questions, watchers, walkers, phones,
            n_live=small - small // 5, n_board=small // 5, idle_s=args.idle / 2, write_s=args.write / 2,
            rate=args.rate,
        )
    )  # fmt: skip
    report(results[-1])
    for clients, scale in ((args.watchers, 1), (small, 2)):
        results.append(
            await poll_phase(
                f"poll once a second: {clients} clients",
                nodes, pids, questions, watchers, walkers, phones,
                n_clients=clients, idle_s=args.idle / scale, write_s=args.write / scale, rate=args.rate,
            )
        )  # fmt: skip
        report(results[-1])
    await phones.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--walkers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="writes a second")
    parser.add_argument("--idle", type=float, default=8.0, help="seconds idle per phase")
    parser.add_argument("--write", type=float, default=30.0, help="seconds writing per phase")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    print(
        f"bench/live.py: {os.cpu_count()} cores (shared with whatever else runs), "
        f"load average {os.getloadavg()[0]:.2f}; {args.watchers} watchers, {args.walkers} walkers, "
        f"{args.rate:g} writes/s"
    )
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="pedometer-bench-live-"))
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start_mariadb(workdir))
        processes.append(start_redis(workdir))
        walkers, watchers = prepare_database(args.watchers, args.walkers)
        ports = []
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                ports.append(probe.getsockname()[1])
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
