#!/usr/bin/env bash
# The command-line tools the suite calls, from Debian's packages when missing:
# promtool (package prometheus; the service is not started) for the alert-rule
# tests, faketime for `make test-dates`.
set -euo pipefail

need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v faketime >/dev/null || need+=(faketime)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "tools: please install Debian's ${need[*]} (the suite calls promtool and faketime)" >&2
  exit 1
fi
echo "tools: installing ${need[*]} from Debian" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
