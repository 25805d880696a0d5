#!/usr/bin/env bash
# The HA topology on loopback: `scripts/cluster.sh up | down | status`.
# The work is in scripts/cluster.py (importable by tests).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/python" -m scripts.cluster "$@"
