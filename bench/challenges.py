"""Challenges at 100,000 participants: the board from the Redis index, the
cost a sync pays for being in challenges, and the freeze.

Loads into a MariaDB database of its own (bulk INSERT … SELECT from
MariaDB's sequence tables; the users and their days are kept between runs,
the challenges are made again each run):

- a running team challenge scored by total (its people board is a `total`
  board: each day capped at 30,000) with 100,000 participants in 1,000
  teams, seven days of steps each (day one six days ago, ends in a week);
- 20 running `total` challenges of 1,000 participants each, which the 50
  "busy" sync users are all in; 50 "idle" sync users are in none.

It rebuilds the big board's index (timed), starts one uvicorn server
(`make run`'s way, on MariaDB + Redis), and with wrk, one connection:

1. GET …/leaderboard?limit=100 (people) and ?scope=teams, rotating the
   tokens of 200 participants spread over the board, against GET /api/v1/me
   in the same run: p50/p99 of each (goal: board p99 <= 1.5x /me's);
2. POST /api/v1/steps/sync of one day (today, a higher count each time, so
   every sync changes the day) by the busy users and by the idle ones: the
   server's CPU per request (user + system, /proc) and the difference (goal:
   <= 2 ms more for 20 challenges);
3. finalising the big challenge (as the sweep does, past its grace window):
   seconds (goal: <= 30 s), and the frozen rows it wrote.

Run:   .venv/bin/python bench/challenges.py [--quick] [--seconds 10] [--rounds 3]
       BENCH_QUICK=1 (or --quick): 10,000 participants in 100 teams, 3 s a measure, one round.
Needs: MariaDB and Redis on loopback, wrk. Prints figures; asserts nothing.
On a shared machine read the medians, and the rounds for how much they move.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rankings import Server, log, mysql, scalar, wait_for_quiet_database, wrk

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = 200
SYNC_USERS = 50  # busy ones, and as many idle ones
SMALL_CHALLENGES = 20
SMALL_SIZE = 1_000
DAYS = 7
BENCH_NAME = "bench challenge"


def parse_args() -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK", "") not in {"", "0", "false"}
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=quick)
    parser.add_argument("--participants", type=int, default=None)
    parser.add_argument("--teams", type=int, default=None)
    parser.add_argument("--seconds", type=int, default=None, help="per measurement")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of every measurement; medians are reported")
    parser.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/pedometer_bench_challenges")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"))
    parser.add_argument("--batch", type=int, default=50_000, help="rows per INSERT while loading")
    args = parser.parse_args()
    args.participants = args.participants or (10_000 if args.quick else 100_000)
    args.teams = args.teams or (100 if args.quick else 1_000)
    args.seconds = args.seconds or (3 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    return args


def bench_env(args: argparse.Namespace, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_KEY_PREFIX": "benchchal",
        "SECRET_KEY": "bench-only-secret-long-enough-for-hs256-signing-0123456789",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "ACCESS_TOKEN_MINUTES": "120",
        # Counted, never refused: one user's tokens are reused by wrk.
        "THROTTLE_SYNC_USER": "1000000/min",
        "THROTTLE_READ_USER": "1000000/min",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(overrides)
    return env


def setup_django(args: argparse.Namespace) -> None:
    os.environ.update(bench_env(args))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")
    import django

    django.setup()


# --- Loading ---------------------------------------------------------------------


def load(args: argparse.Namespace, today) -> dict:
    """Users and their days (kept between runs), then this run's challenges."""
    name = urlparse(args.database_url).path.lstrip("/")
    server = mysql(args.database_url, database=False)
    server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    server.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=bench_env(args), check=True
    )
    db = mysql(args.database_url)
    cursor = db.cursor()
    # Pool: participants of the big board, then the busy and idle sync users.
    n = args.participants + 2 * SYNC_USERS
    have = scalar(cursor, "SELECT COUNT(*) FROM accounts_user")
    if have < n:
        started = time.monotonic()
        for first in range(have + 1, n + 1, args.batch):
            last = min(n, first + args.batch - 1)
            cursor.execute(
                "INSERT INTO accounts_user (id, password, is_superuser, uuid, display_name, timezone, daily_goal,"
                " visibility, is_active, is_staff, date_joined, day_settings_changed,"
                " quiet_hours_start, quiet_hours_end, language, email)"
                " SELECT seq, '!', 0, UUID(), CONCAT('Walker ', seq), 'UTC', 10000, 'public', 1, 0, NOW(6),"
                " 0, '00:00:00', '00:00:00', '', CONCAT('walker', seq, '@bench.example')"
                f" FROM seq_{first}_to_{last}"
            )
        log(f"loaded {n - have:,} users in {time.monotonic() - started:.1f}s")
    starts_on = today - timedelta(days=DAYS - 1)
    have = scalar(cursor, "SELECT COUNT(*) FROM steps_daytotal WHERE day BETWEEN %s AND %s", (starts_on, today))
    if have < args.participants * DAYS:
        started = time.monotonic()
        cursor.execute("DELETE FROM steps_daytotal")
        for back in range(DAYS):
            day = today - timedelta(days=back)
            for first in range(1, args.participants + 1, args.batch):
                last = min(args.participants, first + args.batch - 1)
                # 0..35,000 steps (some over the cap), reached at some moment of that day.
                cursor.execute(
                    "INSERT INTO steps_daytotal (user_id, day, steps, reached_at)"
                    " SELECT seq, %s, FLOOR(RAND(seq + %s) * 35000),"
                    " TIMESTAMP(%s) + INTERVAL FLOOR(RAND(seq * 7 + %s) * 80000) SECOND"
                    f" FROM seq_{first}_to_{last}",
                    (day, back, f"{day} 00:00:00", back),
                )
        log(f"loaded {args.participants * DAYS:,} day totals in {time.monotonic() - started:.1f}s")
    db.close()

    from challenges.models import Challenge, Kind, Team

    started = time.monotonic()
    Challenge.objects.filter(name__startswith=BENCH_NAME).delete()
    log(f"removed the last run's challenges in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    common = dict(starts_on=starts_on, ends_on=today + timedelta(days=7), created_at=datetime.now(UTC))
    big = Challenge.objects.create(
        name=f"{BENCH_NAME} (team, by total)", kind=Kind.TEAM, team_scoring="total", **common
    )
    Team.objects.bulk_create(Team(challenge=big, name=f"Team {n}") for n in range(args.teams))
    first_team = Team.objects.filter(challenge=big).order_by("pk").values_list("pk", flat=True).first()
    db = mysql(args.database_url)
    cursor = db.cursor()
    for first in range(1, args.participants + 1, args.batch):
        last = min(args.participants, first + args.batch - 1)
        cursor.execute(
            "INSERT INTO challenges_participant (challenge_id, user_id, team_id, joined_at)"
            f" SELECT %s, seq, %s + seq MOD %s, NOW(6) FROM seq_{first}_to_{last}",
            (big.pk, first_team, args.teams),
        )
    busy = list(range(args.participants + 1, args.participants + SYNC_USERS + 1))
    idle = list(range(args.participants + SYNC_USERS + 1, args.participants + 2 * SYNC_USERS + 1))
    small = []
    for k in range(SMALL_CHALLENGES):
        challenge = Challenge.objects.create(name=f"{BENCH_NAME} {k + 1} (total)", kind=Kind.TOTAL, **common)
        small.append(challenge)
        others = SMALL_SIZE - SYNC_USERS
        offset = 1 + (k * others) % max(1, args.participants - others)
        cursor.execute(
            "INSERT INTO challenges_participant (challenge_id, user_id, joined_at)"
            f" SELECT %s, seq, NOW(6) FROM seq_{offset}_to_{offset + others - 1}",
            (challenge.pk,),
        )
        cursor.executemany(
            "INSERT INTO challenges_participant (challenge_id, user_id, joined_at) VALUES (%s, %s, NOW(6))",
            [(challenge.pk, pk) for pk in busy],
        )
    db.close()
    log(f"made the challenges ({args.participants:,} + {SMALL_CHALLENGES} x {SMALL_SIZE:,}) in "
        f"{time.monotonic() - started:.1f}s")  # fmt: skip
    return {"big": big, "small": small, "busy": busy, "idle": idle}


def tokens_of(pks) -> list[str]:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    return [str(AccessToken.for_user(user)) for user in User.objects.filter(pk__in=list(pks))]


def drop_index(args: argparse.Namespace) -> None:
    import redis

    client = redis.Redis.from_url(args.redis_url)
    # The index, and the delivery tasks the result pushes queued (no worker runs here).
    keys = [*client.scan_iter(match="benchchal:*", count=1000), "celery"]
    client.unlink(*keys)


def board_ready(args: argparse.Namespace, challenge_id: int) -> bool:
    """Is the board in the index (else every read of it took the SQL path)?"""
    import redis

    return bool(redis.Redis.from_url(args.redis_url).exists(f"benchchal:rank:{{chal:{challenge_id}}}:ready"))


def ensure_ready(args: argparse.Namespace, made: dict) -> bool:
    """Rebuilds whatever board is missing from the index (a worker's job in
    production; on this shared machine another process may empty the Redis
    database under us). True when something had to be rebuilt."""
    from challenges import board_services

    lost = [c for c in [made["big"], *made["small"]] if not board_ready(args, c.pk)]
    for challenge in lost:
        for _attempt in range(5):
            try:
                board_services.rebuild(challenge=challenge)
                break
            except RuntimeError:  # emptied again mid-rebuild: the claim went with it
                time.sleep(1)
    return bool(lost)


def rebuild_boards(made: dict) -> float:
    from challenges import board_services

    started = time.monotonic()
    board_services.rebuild(challenge=made["big"])
    seconds = time.monotonic() - started
    for challenge in made["small"]:
        board_services.rebuild(challenge=challenge)
    return seconds


# --- wrk scripts -------------------------------------------------------------------


def rotating(directory: Path, name: str, tokens: list[str]) -> Path:
    script = directory / f"{name}.lua"
    listed = ",\n".join(f'  "{token}"' for token in tokens)
    script.write_text(
        f"local tokens = {{\n{listed}\n}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        '  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]})\nend\n'
    )
    return script


def syncing(directory: Path, name: str, tokens: list[str], today: str, base: int) -> Path:
    """One day each request, a count above any before for that user: every sync changes the day."""
    script = directory / f"{name}.lua"
    listed = ",\n".join(f'  "{token}"' for token in tokens)
    script.write_text(
        f"local tokens = {{\n{listed}\n}}\nlocal n = 0\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n  n = n + 1\n"
        '  headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]\n'
        f'  local body = string.format(\'{{"days":[{{"date":"{today}","steps":%d}}]}}\', {base} + n)\n'
        '  return wrk.format("POST", "/api/v1/steps/sync", headers, body)\nend\n'
    )
    return script


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured_sync(server: Server, script: Path, seconds: int) -> dict:
    before = cpu_seconds(server.process.pid)
    figures = wrk(server, script, connections=1, seconds=seconds, path="/api/v1/steps/sync")
    figures["cpu_ms"] = 1000 * (cpu_seconds(server.process.pid) - before) / max(figures["requests"], 1)
    return figures


# --- Main --------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    today = datetime.now(UTC).date()
    load1 = os.getloadavg()
    log(
        f"challenges benchmark: {args.participants:,} participants in {args.teams:,} teams"
        f"{' (quick: not figures)' if args.quick else ''}, {os.cpu_count()} cores (shared), "
        f"load average {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    setup_django(args)
    made = load(args, today)
    big = made["big"]
    drop_index(args)
    rebuild_seconds = rebuild_boards(made)
    ensure_ready(args, made)
    log(f"index of the big board built in {rebuild_seconds:.1f}s")
    readers = tokens_of(range(1, args.participants + 1, max(1, args.participants // SAMPLE)))
    busy, idle = tokens_of(made["busy"]), tokens_of(made["idle"])
    from django.db import connections

    connections.close_all()

    rounds: list[dict] = []
    server = Server(bench_env(args))
    base = 1_000
    try:
        with tempfile.TemporaryDirectory() as directory:
            folder = Path(directory)
            read_script = rotating(folder, "read", readers)
            people = f"/api/v1/challenges/{big.pk}/leaderboard?limit=100"
            teams = f"/api/v1/challenges/{big.pk}/leaderboard?scope=teams&limit=100"
            wrk(server, read_script, connections=1, seconds=2, path=people)  # warm-up
            wrk(server, read_script, connections=1, seconds=1, path="/api/v1/me")
            for number in range(1, args.rounds + 1):
                log(f"round {number}/{args.rounds} ({args.seconds}s each measure)")
                wait_for_quiet_database(args)
                figures: dict = {"lost": 0}

                def measure(label: str, run, figures: dict = figures) -> None:
                    figures["lost"] += ensure_ready(args, made)
                    figures[label] = run()
                    # A board that fell out mid-measure was read from SQL: the round is marked.
                    figures["lost"] += not all(board_ready(args, c.pk) for c in [big, *made["small"]])

                measure("people", lambda: wrk(server, read_script, connections=1, seconds=args.seconds, path=people))
                measure("teams", lambda: wrk(server, read_script, connections=1, seconds=args.seconds, path=teams))
                measure("me", lambda: wrk(server, read_script, connections=1, seconds=args.seconds, path="/api/v1/me"))
                for name, tokens in (("idle", idle), ("busy", busy)):
                    script = syncing(folder, f"{name}{number}", tokens, today.isoformat(), base)
                    # Above every count sent before, and under 50,000 (a day above it is flagged and stops moving).
                    base += 5_000
                    measure(f"sync_{name}", lambda script=script: measured_sync(server, script, args.seconds))
                rounds.append(figures)
                if figures["lost"]:
                    log("  (a board fell out of the index around a measure of this round: not counted)")
                log(
                    f"  board p50 {figures['people']['p50']:.2f} p99 {figures['people']['p99']:.2f} ms;"
                    f" teams p50 {figures['teams']['p50']:.2f} p99 {figures['teams']['p99']:.2f} ms;"
                    f" /me p50 {figures['me']['p50']:.2f} p99 {figures['me']['p99']:.2f} ms;"
                    f" sync CPU idle {figures['sync_idle']['cpu_ms']:.2f} busy {figures['sync_busy']['cpu_ms']:.2f}"
                    f" ms/req (non-2xx {figures['sync_idle']['errors']}/{figures['sync_busy']['errors']},"
                    f" reads {figures['people']['errors']})"
                )
    finally:
        server.stop()

    from challenges import pushes, services
    from challenges.models import Result

    big.refresh_from_db()
    wait_for_quiet_database(args)
    after_finalised = services._after_finalised
    services._after_finalised = lambda *args, **kwargs: None  # the result pushes are timed on their own below
    moment = big.grace_ends_at + timedelta(seconds=1)
    started = time.monotonic()
    services.finalise(challenge=big, now=moment, trigger="sweep")
    finalise_seconds = time.monotonic() - started
    services._after_finalised = after_finalised
    frozen = Result.objects.filter(challenge=big).count()
    started = time.monotonic()
    queued = pushes.queue_final_results(challenge_id=big.pk, now=moment)
    pushes_seconds = time.monotonic() - started
    drop_index(args)

    counted = [figures for figures in rounds if not figures["lost"]] or rounds

    def mid(measure: str, key: str) -> float:
        return statistics.median([figures[measure][key] for figures in counted])

    log(f"\nmedians of {len(counted)} of {len(rounds)} rounds (those with every board in the index), one connection")
    log(f"{'':40}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for label, measure in (
        ("leaderboard, people (top 100 + me)", "people"),
        ("leaderboard, teams (top 100 + me)", "teams"),
        ("GET /api/v1/me", "me"),
        ("sync one day, in no challenge", "sync_idle"),
        (f"sync one day, in {SMALL_CHALLENGES} running challenges", "sync_busy"),
    ):
        log(f"{label:40}{mid(measure, 'p50'):>10.2f}{mid(measure, 'p99'):>10.2f}{mid(measure, 'rps'):>10.1f}")
    idle_cpu, busy_cpu = mid("sync_idle", "cpu_ms"), mid("sync_busy", "cpu_ms")
    ratio = mid("people", "p99") / max(mid("me", "p99"), 0.001)
    log(f"{'server CPU per sync (ms): none / 20':40}{idle_cpu:>10.2f}{busy_cpu:>10.2f}   (+{busy_cpu - idle_cpu:.2f})")
    log(f"{'index rebuild of the big board':40}{rebuild_seconds:>9.1f}s")
    log(f"{'finalise the big challenge (the freeze)':40}{finalise_seconds:>9.1f}s   ({frozen:,} frozen rows)")
    log(f"{'then its final-result pushes queued':40}{pushes_seconds:>9.1f}s   ({queued:,} pushes)")
    verdict = {True: "met", False: "MISSED"}
    log(
        f"goals (medians): board p99 <= 1.5x /me's ({ratio:.2f}x) {verdict[ratio <= 1.5]}; "
        f"sync +{busy_cpu - idle_cpu:.2f} ms CPU <= 2 ms {verdict[busy_cpu - idle_cpu <= 2]}; "
        f"finalise <= 30 s {verdict[finalise_seconds <= 30]}"
    )
    load2 = os.getloadavg()
    log(f"load average at the end {load2[0]:.2f} {load2[1]:.2f} {load2[2]:.2f}")


if __name__ == "__main__":
    main()
