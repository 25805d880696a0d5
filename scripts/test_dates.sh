#!/usr/bin/env bash
# Runs the suite (less the cluster and chaos tests, which start a topology of
# their own) under libfaketime at dates that shake out tests and code which
# assume the week they were written: 400 days ahead, and 23:59:30 in Seoul on
# a month end (2027-02-28 14:59:30 UTC). The clock ticks from there, and
# every subprocess (test servers, workers) inherits it.
# Usage: scripts/test_dates.sh <pytest and its arguments...>
set -euo pipefail

# '@' starts the clock there and lets it tick; an absolute time without it
# would freeze the clock, and asyncio.sleep would never return.
for when in "+400d" "@2027-02-28 14:59:30"; do
  echo "test-dates: the suite at ${when}" >&2
  faketime -f "$when" "$@" -m "not cluster and not chaos"
done
