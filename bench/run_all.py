"""`make bench`: every benchmark the README quotes, one after another in one
sitting, so their figures come from the same code on the same machine state.

Runs bench/ingest.py, bench/rankings.py, bench/challenges.py, bench/imports.py,
bench/live.py and bench/asgi_servers.py in that order, streams each one's output, and writes
it all to bench/results/<UTC date>.md with the commit, the load average at
each start and each run's duration. The README's figures are quoted from
that file, with its date. Not a test: it prints figures and asserts nothing.

    make bench                 # about 16 minutes on 2 cores
    BENCH_QUICK=1 make bench   # smaller crowds and shorter runs, under five minutes: a smoke run, not figures

Each benchmark takes its own BENCH_* variables and options (see its docstring).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# (name, script, full-run arguments, quick-run arguments, quick-run environment)
BENCHMARKS: list[tuple[str, str, list[str], list[str], dict[str, str]]] = [
    ("ingest", "bench/ingest.py", [], [], {"BENCH_SECONDS": "3", "BENCH_REPS": "2", "BENCH_USERS": "300"}),
    ("rankings", "bench/rankings.py", [], ["--users", "100000", "--seconds", "3", "--rounds", "1"], {}),
    ("challenges", "bench/challenges.py", [], ["--quick"], {}),
    ("imports", "bench/imports.py", [], ["--records", "100000"], {}),
    # Full: 10,000 sockets on two processes (issue #16); `bench/live.py --watchers 1000` is the
    # comparison with polling the README keeps. Quick: 2,000 sockets, no polling, about a minute.
    ("live", "bench/live.py", [], ["--watchers", "2000", "--write", "4", "--idle", "1"], {}),
    ("asgi_servers", "bench/asgi_servers.py", [], ["--rounds", "1", "--seconds", "2"], {}),
]


def commit() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() or "unknown"


def run(script: str, args: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    """Runs one benchmark, echoing its output as it comes; returns (exit code, output, seconds)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-u", script, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return process.wait(), "".join(lines), time.monotonic() - started


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in {"", "0", "false"}
    started_at = datetime.now(UTC)
    sections = []
    failed = []
    for name, script, full_args, quick_args, quick_env in BENCHMARKS:
        load = os.getloadavg()
        print(f"\n=== {name} ({script}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        code, output, seconds = run(script, quick_args if quick else full_args, quick_env if quick else {})
        if code != 0:
            failed.append(name)
        # \r progress lines are for a terminal; the file keeps their last state.
        kept = "\n".join(line.rsplit("\r", 1)[-1] for line in output.splitlines())
        sections.append(
            f"## {name}\n\n`{script} {' '.join(quick_args if quick else full_args)}`: exit {code}, "
            f"{seconds:.0f} s, load average at its start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}\n\n"
            f"```\n{kept.strip()}\n```\n"
        )

    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if quick else ""
    path = RESULTS / f"{started_at:%Y-%m-%d}{suffix}.md"
    header = (
        f"# Benchmarks, {started_at:%Y-%m-%d %H:%M} UTC{' (quick: not figures)' if quick else ''}\n\n"
        f"Commit `{commit()}`, {os.cpu_count()} CPUs, `make bench`"
        f"{' with BENCH_QUICK=1' if quick else ''}, one sitting.\n\n"
    )
    path.write_text(header + "\n".join(sections))
    print(f"\nwrote {path.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
