"""Which ASGI server should serve the app: uvicorn, daphne or granian?

Starts each server in turn on a loopback port, on the embedded default
(SQLite, in-memory channel layer, local-memory cache; DEBUG=true, as
`make run` serves it), one worker process each, and drives it with the same
wrk load on two paths:

- GET /healthz               the server and Django's request cycle, no I/O
- GET /api/v1/me (Bearer)    JWT auth, one SQLite read, DRF render

and checks that it carries a Channels WebSocket (token auth, echo round
trips). Prints requests/s and p50/p99 latency per server and path.

Run:  .venv/bin/python bench/asgi_servers.py [--seconds 3] [--rounds 3] [--connections 32]
Needs wrk (Debian: apt-get install -y wrk) and granian in the virtualenv.
One run on a shared machine: read the figures as a ranking, not a promise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
APP = "bench.ws_echo_asgi:application"  # pedometer_site.asgi's app plus one echo socket
BIN = Path(sys.executable).parent


def server_command(name: str, port: int) -> list[str]:
    if name == "uvicorn":
        return [sys.executable, "-m", "uvicorn", APP, "--host", HOST, "--port", str(port), "--lifespan", "off",
                "--no-access-log", "--log-level", "warning"]  # fmt: skip
    if name == "daphne":
        return [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "-v", "0", APP]
    if name == "granian":
        # asginl: ASGI without the lifespan protocol, which Channels' router refuses.
        return [str(BIN / "granian"), "--interface", "asginl", "--host", HOST, "--port", str(port),
                "--workers", "1", "--no-access-log", "--log-level", "warning", APP]  # fmt: skip
    raise ValueError(name)


SERVERS = ("uvicorn", "daphne", "granian")


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Socket:
    ok: bool
    detail: str
    round_trip_p50_ms: float | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def bench_environment(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="pedometer_site.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    return env


def prepare_database(env: dict[str, str]) -> str:
    """Migrates a fresh SQLite file and returns an access token for one walker."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from accounts.services import tokens_for

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench@example.com", "bench-walker-passphrase", display_name="Bench")
    return tokens_for(user).access


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("server did not answer /healthz in time")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _duration_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS_MS[unit]


def run_wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in percentiles:
        raise RuntimeError(f"no latency figures from wrk:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_duration_ms(percentiles["50"]),
        p99_ms=_duration_ms(percentiles["99"]),
        errors=errors,
    )


async def _socket_round_trips(port: int, token: str, messages: int) -> Socket:
    import websockets

    origin = f"http://{HOST}:{port}"
    # Without a token the consumer must close before accepting.
    try:
        async with websockets.connect(f"ws://{HOST}:{port}/ws/bench-echo", origin=origin, open_timeout=5) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)
        return Socket(False, "an anonymous socket was not closed")
    except websockets.exceptions.ConnectionClosed as closed:
        if closed.rcvd is None or closed.rcvd.code != 4401:
            return Socket(False, f"anonymous socket closed with {closed.rcvd}")
    except websockets.exceptions.InvalidStatus:
        pass  # refused during the handshake: also a refusal
    url = f"ws://{HOST}:{port}/ws/bench-echo?token={token}"
    timings = []
    async with websockets.connect(url, origin=origin, open_timeout=5) as ws:
        for n in range(messages):
            started = time.perf_counter()
            await ws.send(f"ping {n}")
            reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            timings.append((time.perf_counter() - started) * 1000)
            if reply["echo"] != f"ping {n}":
                return Socket(False, f"wrong echo {reply!r}")
    return Socket(True, "ok", round(statistics.median(timings), 2))


def check_socket(port: int, token: str) -> Socket:
    try:
        return asyncio.run(asyncio.wait_for(_socket_round_trips(port, token, messages=200), timeout=30))
    except Exception as exc:  # any failure is the finding to report
        return Socket(False, f"{type(exc).__name__}: {exc}")


def start(name: str, env: dict[str, str], logs: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with (logs / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            server_command(name, port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, port


PATHS = {"healthz": ("/healthz", False), "me": ("/api/v1/me", True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="asgi-bench-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir)
        token = prepare_database(env)
        running: dict[str, tuple[subprocess.Popen, int]] = {}
        try:
            for name in args.servers:
                running[name] = start(name, env, workdir)
            for name, (process, port) in list(running.items()):
                try:
                    wait_until_up(port, process)
                except RuntimeError as exc:
                    print(f"{name}: {exc}\n{(workdir / f'{name}.log').read_text()[-2000:]}", file=sys.stderr)
                    stop(process)
                    del running[name]
            sockets = {name: check_socket(port, token) for name, (_, port) in running.items()}
            loads: dict[tuple[str, str], list[Load]] = {}
            # Interleaved rounds, so a neighbour's burst of CPU hits every server alike.
            for round_number in range(args.rounds + 1):
                for name, (_, port) in running.items():
                    for label, (path, signed_in) in PATHS.items():
                        headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
                        seconds = 1 if round_number == 0 else args.seconds  # round 0 warms up
                        load = run_wrk(f"http://{HOST}:{port}{path}", seconds, args.connections, headers)
                        if round_number:
                            loads.setdefault((name, label), []).append(load)
        finally:
            for process, _ in running.values():
                stop(process)

    print(
        f"{os.cpu_count()} CPUs, 1 worker per server, wrk -t1 -c{args.connections}, {args.rounds} interleaved "
        f"rounds of {args.seconds}s per server and path (medians); embedded default (SQLite, DEBUG=true)\n"
    )
    print(
        "| server | /healthz req/s | p50 ms | p99 ms | /api/v1/me req/s | p50 ms | p99 ms | errors "
        "| WebSocket (Channels) |"
    )
    print("| --- " * 9 + "|")
    for name in running:
        cells = []
        errors = 0
        for label in PATHS:
            runs = loads[(name, label)]
            errors += sum(run.errors for run in runs)
            cells += [
                f"{statistics.median(run.requests_per_second for run in runs):,.0f}",
                f"{statistics.median(run.p50_ms for run in runs):.1f}",
                f"{statistics.median(run.p99_ms for run in runs):.1f}",
            ]
        sock = sockets[name]
        ws = f"ok, echo p50 {sock.round_trip_p50_ms} ms" if sock.ok else f"FAILED: {sock.detail}"
        print(f"| {name} | {' | '.join(cells)} | {errors} | {ws} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
