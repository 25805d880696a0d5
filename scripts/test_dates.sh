#!/usr/bin/env bash
# Runs the suite (less the cluster and chaos tests, which start a topology of
# their own) under libfaketime at dates that shake out tests and code which
# assume the week they were written: 400 days ahead, and 23:59:30 in Seoul on
# a month end (2027-02-28 14:59:30 UTC). The clock ticks from there, and
# every subprocess (test servers, workers) inherits it.
# Usage: scripts/test_dates.sh <pytest and its arguments...>
set -euo pipefail

# Both as offsets from the real clock ("+N" seconds), never "@<time>": with '@'
# every process restarts its clock at that time when it starts, so a test
# server started two minutes into the run lives two minutes in the past of
# the test that signs its tokens (refused as not yet valid). An offset keeps
# every process on one clock, ticking. An absolute time without '@' would
# freeze the clock, and asyncio.sleep would never return.
for when in "+400d" "2027-02-28 14:59:30"; do
  case "$when" in
    +*) offset=$when ;;
    *) printf -v offset '%+d' $(( $(date -u -d "$when" +%s) - $(date -u +%s) )) ;;  # taken just before it starts
  esac
  echo "test-dates: the suite at $(faketime -f "$offset" date -u '+%Y-%m-%d %H:%M:%S UTC') (offset ${offset})" >&2
  faketime -f "$offset" "$@" -m "not cluster and not chaos"
done
