"""Import throughput: a generated Apple Health export and a Google Takeout,
each of about a million step records over two sources and three years.

For each it writes the file, creates a user on its own MariaDB database
(with Redis for the board index), rebuilds yesterday's day board in the
index, and runs `manage.py import_steps` (the task's code path, in its own
process, as a worker would) while this process polls the board. It prints:

  records/s, MB/s     over the job's own running time (started_at .. finished_at); MB of what
                      is read (a zip's members, inflated)
  worker peak memory  the import process's maximum resident set (wait4's ru_maxrss)
  boards show it      from the start of the import until yesterday's day board,
                      read from the index, shows the imported total

Not a test: it prints figures.

    .venv/bin/python bench/imports.py                     # about 3 minutes, ~700 MB of files in /tmp
    .venv/bin/python bench/imports.py --records 100000    # a smoke run

Environment: BENCH_DATABASE_URL (mysql://root@127.0.0.1:3306/pedometer_bench_imports),
BENCH_REDIS_URL (redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Europe/Berlin")
DAYS = 3 * 365
SOURCES = ("Apple Watch", "iPhone")
ORIGINS = (
    "raw:com.google.step_count.delta:com.google.android.gms:Google:Pixel 7:a1b2c3:step_counter",
    "raw:com.google.step_count.delta:com.google.android.gms:samsung:Galaxy Watch5:d4e5f6:step_counter",
)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def days_until_yesterday() -> list[date]:
    yesterday = datetime.now(ZONE).date() - timedelta(days=1)
    return [yesterday - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]


def walk_minutes(per_day: int) -> list[int]:
    """Start minutes of a day's records: from 06:00, two minutes apart."""
    return [360 + 2 * n for n in range(per_day)]


def steps_of(day: date, source: int, n: int) -> int:
    return 40 + (day.toordinal() * 7 + n * 13 + source * 5) % 120


def write_apple(path: Path, records: int) -> int:
    days = days_until_yesterday()
    per_day = max(1, records // (len(SOURCES) * len(days)))
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n'
            "<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>\n"
            "<!ATTLIST HealthData\n  locale CDATA #REQUIRED\n>\n"
            "<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>\n"
            "<!ATTLIST Record\n  type CDATA #REQUIRED\n  unit CDATA #IMPLIED\n  value CDATA #IMPLIED\n"
            "  sourceName CDATA #REQUIRED\n  startDate CDATA #REQUIRED\n  endDate CDATA #REQUIRED\n>\n]>\n"
            '<HealthData locale="en_US">\n <ExportDate value="2026-12-01 10:00:00 +0100"/>\n <Me/>\n'
        )
        for day in days:
            offset = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE).strftime("%z")
            stamp = day.isoformat()
            for index, source in enumerate(SOURCES):
                device = f"&lt;&lt;HKDevice: 0x28{index}a&gt;, name:{source}, manufacturer:Apple Inc.&gt;"
                for n, minute in enumerate(walk_minutes(per_day)):
                    start = f"{stamp} {minute // 60:02d}:{minute % 60:02d}:00 {offset}"
                    end = f"{stamp} {minute // 60:02d}:{minute % 60 + 1:02d}:30 {offset}"
                    out.write(
                        f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="{source}" '
                        f'sourceVersion="17.2" device="{device}" unit="count" creationDate="{end}" '
                        f'startDate="{start}" endDate="{end}" value="{steps_of(day, index, n)}"/>\n'
                    )
                    written += 1
            # Other kinds of records pass by unread, as in a real export.
            out.write(
                f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" unit="count/min" '
                f'startDate="{stamp} 12:00:00 {offset}" endDate="{stamp} 12:00:00 {offset}" value="72"/>\n'
            )
        out.write("</HealthData>\n")
    return written


def write_google(path: Path, records: int) -> int:
    days = days_until_yesterday()
    per_day = max(1, records // (len(ORIGINS) * len(days)))
    written = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, origin in enumerate(ORIGINS):
            name = f"Takeout/Fit/All data/raw_com.google.step_count.delta_{index}.json"
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(b'{\n  "Data Source": "' + origin.encode() + b'",\n  "Data Points": [')
                first = True
                for day in days:
                    midnight = datetime(day.year, day.month, day.day, tzinfo=ZONE).timestamp()
                    for n, minute in enumerate(walk_minutes(per_day)):
                        start = int((midnight + minute * 60) * 1e9)
                        point = {
                            "fitValue": [{"value": {"intVal": steps_of(day, index, n)}}],
                            "originDataSourceId": origin,
                            "endTimeNanos": start + 90_000_000_000,
                            "dataTypeName": "com.google.step_count.delta",
                            "startTimeNanos": start,
                            "modifiedTimeMillis": start // 1_000_000,
                            "rawTimestampNanos": 0,
                        }
                        member.write((b"\n    " if first else b",\n    ") + json.dumps(point).encode())
                        first = False
                        written += 1
                member.write(b"\n  ]\n}\n")
        summary = ["Date,Move Minutes count,Distance (m),Step count"]
        summary += [f"{day.isoformat()},60,5000,{per_day * 80}" for day in days]
        archive.writestr("Takeout/Fit/Daily activity metrics/Daily activity metrics.csv", "\n".join(summary) + "\n")
    return written


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_KEY_PREFIX": "bench-imports",
        "SECRET_KEY": "bench-only-secret-long-enough-for-hs256-signing-0123456789",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "IMPORT_DIR": str(Path(tempfile.gettempdir()) / "bench-imports"),
        "IMPORT_MAX_BYTES_PER_DAY": str(1 << 40),
        "DJANGO_SETTINGS_MODULE": "pedometer_site.settings",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    return env


def prepare(args: argparse.Namespace) -> None:
    import MySQLdb

    parts = urlparse(args.database_url)
    server = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username, passwd=parts.password or ""
    )
    name = parts.path.lstrip("/")
    server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=bench_env(args), check=True
    )
    os.environ.update(bench_env(args))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def measure(args: argparse.Namespace, label: str, path: Path, records: int) -> dict:
    from django.utils import timezone

    from accounts.models import User
    from imports.models import ImportJob
    from rankings.periods import BoardKey
    from rankings.rebuild import rebuild_board
    from rankings.selectors import leaderboard

    email = f"bench-{label}-{int(time.time())}@example.com"
    user = User.objects.create_user(email, "bench-password-1234", display_name=f"Bench {label}", timezone=str(ZONE))
    yesterday = datetime.now(ZONE).date() - timedelta(days=1)
    board = BoardKey.of("day", yesterday)
    rebuild_board(board=board)  # yesterday's board is in the index before the import

    shown_at: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or not shown_at:
            page = leaderboard(viewer=user, key=board, now=timezone.now(), limit=1)
            if page.source == "index" and page.me is not None and page.me.steps > 0:
                shown_at.append(time.monotonic())
                return
            if done.is_set() and time.monotonic() - started > 600:
                return
            time.sleep(0.2)

    log(f"{label}: importing {path.stat().st_size / 1e6:,.0f} MB, {records:,} step records")
    started = time.monotonic()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_steps", "--user", email, str(path)],
        cwd=ROOT,
        env=bench_env(args),
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    watcher.join(timeout=30)
    if process.returncode:
        raise SystemExit(f"{label}: import_steps failed ({process.returncode})")
    job = ImportJob.objects.filter(user=user).get()
    seconds = (job.finished_at - job.started_at).total_seconds()
    unzipped = path.stat().st_size
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    result = {
        "label": label,
        "megabytes": path.stat().st_size / 1e6,
        "unzipped_megabytes": unzipped / 1e6,
        "records": job.records_read,
        "days": job.days_imported,
        "job_seconds": seconds,
        "records_per_second": job.records_read / seconds,
        "megabytes_per_second": unzipped / 1e6 / seconds,  # of what is read: a zip's members, inflated
        "peak_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "boards_seconds": (shown_at[0] - started) if shown_at else None,
        "process_seconds": time.monotonic() - started,
    }
    log(
        f"{label}: {result['records']:,} records, {result['days']:,} days in {seconds:.1f} s: "
        f"{result['records_per_second']:,.0f} records/s, {result['megabytes_per_second']:.1f} MB/s; "
        f"worker peak {result['peak_mb']:.0f} MB; boards show it {result['boards_seconds']:.1f} s after the start "
        f"(the process ran {result['process_seconds']:.1f} s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/pedometer_bench_imports"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    prepare(args)
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    results = []
    try:
        for label, name, write in (("apple", "export.xml", write_apple), ("google", "takeout.zip", write_google)):
            path = folder / name
            started = time.monotonic()
            records = write(path, args.records)
            log(f"{label}: wrote {path} ({path.stat().st_size / 1e6:,.0f} MB) in {time.monotonic() - started:.0f} s")
            results.append(measure(args, label, path, records))
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()
    print()
    columns = ["export", "size (unzipped)", "step records", "days", "job time", "records/s", "MB/s read"]
    print("| " + " | ".join([*columns, "worker peak", "boards show it"]) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['label']} | {r['megabytes']:,.0f} MB ({r['unzipped_megabytes']:,.0f} MB) "
            f"| {r['records']:,} | {r['days']:,} | {r['job_seconds']:.1f} s "
            f"| {r['records_per_second']:,.0f} | {r['megabytes_per_second']:.1f} | {r['peak_mb']:.0f} MB "
            f"| {r['boards_seconds']:.1f} s |"
        )


if __name__ == "__main__":
    main()
