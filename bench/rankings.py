"""Leaderboards at a million users: the Redis index against the SQL fallback.

Loads 1,000,000 users with today's steps into a MariaDB database of its own
(bulk INSERT … SELECT from MariaDB's sequence tables, in batches; skipped
when already loaded), rebuilds today's board with `manage.py
rebuild_rankings` (timed), then starts two uvicorn servers on that database:

- "redis": the normal configuration, answering from the index;
- "sql":   REDIS_URL pointing at a closed port, so every read takes the
           fallback (COUNT(*) ranks over the board index);

and drives GET /api/v1/rankings/day?limit=100 (the top 100 plus `me`) with
wrk, rotating the bearer tokens of 200 walkers spread over the board (each
with ten friends, some of them friends-only), so `me` is anyone from first
to last. After a warm-up, in each of three rounds: per path, latency p50/p99
with one connection (requests one after another) and requests/s with eight
connections; and, for scale, the same for GET /api/v1/me (the floor of any
signed-in request on this stack). It prints every round and the medians.

Run:   .venv/bin/python bench/rankings.py [--users 1000000] [--seconds 10] [--rounds 3]
Needs: MariaDB and Redis on loopback, wrk (Debian: apt-get install -y wrk).
Goals: Redis p99 <= 10 ms, >= 20x the SQL path's requests/s, rebuild <= 60 s.
On a shared machine (2 cores, other work running) read the medians, and
the rounds for how much they move.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SAMPLE = 200
FRIENDS_EACH = 10
BOARD_PATH = "/api/v1/rankings/day?limit=100"


def log(message: str) -> None:
    print(message, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measurement; medians are reported")
    parser.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/pedometer_bench_rankings")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--batch", type=int, default=50_000, help="rows per INSERT while loading")
    return parser.parse_args()


def bench_env(args: argparse.Namespace, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_KEY_PREFIX": "bench",
        "SECRET_KEY": "bench-only-secret-long-enough-for-hs256-signing-0123456789",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(overrides)
    return env


# --- Loading ---------------------------------------------------------------------


def mysql(url: str, database: bool = True):
    import MySQLdb

    parts = urlparse(url)
    kwargs = {"host": parts.hostname or HOST, "port": parts.port or 3306, "user": parts.username or "root"}
    if parts.password:
        kwargs["password"] = parts.password
    if database:
        kwargs["database"] = parts.path.lstrip("/")
    return MySQLdb.connect(**kwargs, autocommit=True)


def scalar(cursor, sql: str, params: tuple = ()) -> int:
    cursor.execute(sql, params)
    return int(cursor.fetchone()[0] or 0)


def load(args: argparse.Namespace, today: str) -> None:
    name = urlparse(args.database_url).path.lstrip("/")
    server = mysql(args.database_url, database=False)
    server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    server.close()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=bench_env(args), check=True
    )
    log(f"migrated in {time.monotonic() - started:.1f}s")
    db = mysql(args.database_url)
    cursor = db.cursor()
    n = args.users

    have = scalar(cursor, "SELECT COUNT(*) FROM accounts_user")
    if have < n:
        started = time.monotonic()
        for first in range(have + 1, n + 1, args.batch):
            last = min(n, first + args.batch - 1)
            # 80% public, 10% friends-only, 10% private, like the demo data.
            cursor.execute(
                "INSERT INTO accounts_user (id, password, is_superuser, uuid, display_name, timezone, daily_goal,"
                " visibility, is_active, is_staff, date_joined, day_settings_changed,"
                " quiet_hours_start, quiet_hours_end, language)"
                f" SELECT seq, '!', 0, UUID(), CONCAT('Walker ', seq), 'UTC', 10000,"
                " CASE seq % 10 WHEN 3 THEN 'friends' WHEN 7 THEN 'private' ELSE 'public' END, 1, 0, NOW(6),"
                " 0, '22:00:00', '07:00:00', ''"
                f" FROM seq_{first}_to_{last}"
            )
            print(f"\r  users {last:,}/{n:,}", end="", flush=True)
        log(f"\rloaded {n - have:,} users in {time.monotonic() - started:.1f}s")
    else:
        log(f"{have:,} users already loaded")

    have = scalar(cursor, "SELECT COUNT(*) FROM steps_daytotal WHERE day = %s", (today,))
    if have < n:
        started = time.monotonic()
        cursor.execute("DELETE FROM steps_daytotal WHERE day = %s", (today,))
        midnight = f"{today} 00:00:00"
        elapsed = max(60, int((datetime.now(UTC) - datetime.fromisoformat(midnight + "+00:00")).total_seconds()))
        for first in range(1, n + 1, args.batch):
            last = min(n, first + args.batch - 1)
            # Steps 0..25,000 with plenty of ties; reached at some moment of today so far.
            cursor.execute(
                "INSERT INTO steps_daytotal (user_id, day, steps, reached_at)"
                " SELECT seq, %s, FLOOR(RAND(seq) * 25000),"
                " TIMESTAMP(%s) + INTERVAL FLOOR(RAND(seq * 7) * %s) SECOND"
                f" FROM seq_{first}_to_{last}",
                (today, midnight, elapsed),
            )
            print(f"\r  day totals {last:,}/{n:,}", end="", flush=True)
        log(f"\rloaded {n:,} day totals for {today} in {time.monotonic() - started:.1f}s")
    else:
        log(f"{have:,} day totals for {today} already loaded")

    cursor.execute(
        "INSERT IGNORE INTO accounts_friendship (from_user_id, to_user_id, status, created_at, accepted_at)"
        f" SELECT s.id, s.id + f.seq, 'accepted', NOW(6), NOW(6) FROM ({sample_sql(n)}) s"
        f" JOIN seq_1_to_{FRIENDS_EACH} f WHERE s.id + f.seq <= {n}"
    )
    db.close()


def sample_sql(n: int) -> str:
    step = max(1, n // SAMPLE)
    return f"SELECT seq AS id FROM seq_1_to_{n}_step_{step}"


def tokens(args: argparse.Namespace) -> list[str]:
    """Access tokens of walkers spread evenly over the user ids (so over the board)."""
    os.environ.update(bench_env(args))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    step = max(1, args.users // SAMPLE)
    users = User.objects.filter(pk__in=range(1, args.users + 1, step))
    return [str(AccessToken.for_user(user)) for user in users]


# --- Servers and load ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        command = [sys.executable, "-m", "uvicorn", "pedometer_site.asgi:application", "--host", HOST]
        command += ["--port", str(self.port), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 - loopback http
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def probe(server: Server, token: str) -> tuple[str, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{server.url}{BOARD_PATH}", headers=headers)  # noqa: S310 - loopback http
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.headers["X-Rankings-Source"], json.loads(response.read())


def wrk(server: Server, script: Path, *, connections: int, seconds: int, path: str = BOARD_PATH) -> dict:
    threads = min(2, connections)
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "30s", "-s", str(script), f"{server.url}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * units[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": percentile("50"),
        "p99": percentile("99"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def wrk_script(directory: Path, access_tokens: list[str]) -> Path:
    script = directory / "rotate_tokens.lua"
    listed = ",\n".join(f'  "{token}"' for token in access_tokens)
    script.write_text(
        f"local tokens = {{\n{listed}\n}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        '  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]})\n'
        "end\n"
    )
    return script


def redis_memory(args: argparse.Namespace, today: str) -> float:
    import redis

    client = redis.Redis.from_url(args.redis_url)
    base = f"bench:rank:{{day:{today}}}"
    return sum(client.memory_usage(f"{base}:{part}") or 0 for part in ("pub", "users")) / 1e6


def drop_index(args: argparse.Namespace) -> None:
    import redis

    client = redis.Redis.from_url(args.redis_url)
    keys = list(client.scan_iter(match="bench:*", count=1000))
    if keys:
        client.unlink(*keys)


def wait_for_quiet_database(args: argparse.Namespace, timeout: float = 120) -> None:
    """Waits until no query of this benchmark's database is running: when wrk
    stops, the SQL server still works through the requests it had accepted,
    and those would weigh on whatever is measured next."""
    name = urlparse(args.database_url).path.lstrip("/")
    db = mysql(args.database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            running = scalar(
                db.cursor(),
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                " WHERE DB = %s AND COMMAND = 'Query' AND ID <> CONNECTION_ID()",
                (name,),
            )
            if not running:
                return
            time.sleep(0.2)
    finally:
        db.close()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    today = datetime.now(UTC).date().isoformat()
    log(
        f"rankings benchmark: {args.users:,} users, board day {today}, {os.cpu_count()} cores (shared), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    load(args, today)
    access_tokens = tokens(args)

    drop_index(args)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "rebuild_rankings", "--period", "day", "--date", today],
        cwd=ROOT,
        env=bench_env(args),
        check=True,
    )
    rebuild_seconds = time.monotonic() - started
    memory_mb = redis_memory(args, today)

    rounds: list[dict] = []
    servers = {
        "redis": Server(bench_env(args)),
        "sql": Server(bench_env(args, REDIS_URL="redis://127.0.0.1:1/0")),  # nothing listens there
    }
    try:
        with tempfile.TemporaryDirectory() as directory:
            script = wrk_script(Path(directory), access_tokens)
            answers = {}
            for name, server in servers.items():
                source, body = probe(server, access_tokens[len(access_tokens) // 2])
                expected = "index" if name == "redis" else "sql"
                if source != expected:
                    sys.exit(f"the {name} server answered from {source}, not {expected}")
                answers[name] = body
            if answers["redis"] != answers["sql"]:
                sys.exit("the two paths disagree on the board")
            # Warm-up: first requests pay for imports, caches and connections.
            wrk(servers["redis"], script, connections=1, seconds=2)
            wrk(servers["redis"], script, connections=1, seconds=1, path="/api/v1/me")
            for number in range(1, args.rounds + 1):
                log(f"round {number}/{args.rounds}: Redis path, /me floor, SQL path ({args.seconds}s each measure)")
                wait_for_quiet_database(args)
                redis_server, sql_server = servers["redis"], servers["sql"]
                figures = {
                    "redis_latency": wrk(redis_server, script, connections=1, seconds=args.seconds),
                    "redis_throughput": wrk(redis_server, script, connections=8, seconds=args.seconds),
                    # The floor under any signed-in request on this stack: JWT auth, one
                    # user row, DRF, uvicorn. The board's own cost is what is above it.
                    "floor": wrk(redis_server, script, connections=1, seconds=args.seconds, path="/api/v1/me"),
                    "sql_latency": wrk(sql_server, script, connections=1, seconds=args.seconds),
                    "sql_throughput": wrk(sql_server, script, connections=8, seconds=args.seconds),
                }
                figures["ratio"] = figures["redis_throughput"]["rps"] / max(figures["sql_throughput"]["rps"], 0.001)
                rounds.append(figures)
                latency = figures["redis_latency"]
                log(
                    f"  Redis p50 {latency['p50']:.2f} ms p99 {latency['p99']:.2f} ms,"
                    f" {figures['redis_throughput']['rps']:.0f} req/s; /me p50 {figures['floor']['p50']:.2f} ms"
                    f" p99 {figures['floor']['p99']:.2f} ms; SQL p50 {figures['sql_latency']['p50']:.0f} ms,"
                    f" {figures['sql_throughput']['rps']:.1f} req/s; ratio {figures['ratio']:.0f}x"
                )
    finally:
        for server in servers.values():
            server.stop()
        drop_index(args)

    def mid(measure: str, key: str) -> float:
        return statistics.median([figures[measure][key] for figures in rounds])

    log(f"\nmedians of {len(rounds)} rounds")
    log(f"{'':32}{'Redis index':>14}{'SQL fallback':>14}")
    for label, key, part, fmt in [
        ("latency p50 (ms, 1 connection)", "p50", "latency", "{:.2f}"),
        ("latency p99 (ms, 1 connection)", "p99", "latency", "{:.2f}"),
        ("requests/s (1 connection)", "rps", "latency", "{:.1f}"),
        ("requests/s (8 connections)", "rps", "throughput", "{:.1f}"),
        ("p99 (ms, 8 connections)", "p99", "throughput", "{:.1f}"),
    ]:
        cells = [fmt.format(mid(f"{path}_{part}", key)) for path in ("redis", "sql")]
        log(f"{label:32}{cells[0]:>14}{cells[1]:>14}")
    requests = [sum(figures[f"{path}_throughput"]["requests"] for figures in rounds) for path in ("redis", "sql")]
    errors = [sum(figures[f"{path}_throughput"]["errors"] for figures in rounds) for path in ("redis", "sql")]
    log(f"{'requests / non-2xx (all rounds)':32}{f'{requests[0]}/{errors[0]}':>14}{f'{requests[1]}/{errors[1]}':>14}")
    log(f"{'GET /api/v1/me p50 / p99 (ms)':32}{mid('floor', 'p50'):>7.2f} /{mid('floor', 'p99'):>5.2f}")
    ratio = statistics.median([figures["ratio"] for figures in rounds])
    p99 = mid("redis_latency", "p99")
    log(f"{'throughput ratio':32}{ratio:>13.0f}x")
    log(f"{'full rebuild (day board)':32}{rebuild_seconds:>13.1f}s")
    log(f"{'index memory (day board)':32}{memory_mb:>11.0f} MB")
    verdict = {True: "met", False: "MISSED"}
    log(
        f"goals (medians): Redis p99 <= 10 ms {verdict[p99 <= 10]}; "
        f">= 20x SQL {verdict[ratio >= 20]}; rebuild <= 60 s {verdict[rebuild_seconds <= 60]}"
    )


if __name__ == "__main__":
    main()
