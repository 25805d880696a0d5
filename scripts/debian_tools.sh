#!/usr/bin/env bash
# Installs the Debian packages that bring the named commands, for those that
# are missing: promtool (package prometheus; its service is not started) for
# the alert-rule tests, faketime for `make test-dates`, wrk for `make bench`,
# msgfmt (package gettext) to compile the message catalogues (`make catalogues`).
# Usage: scripts/debian_tools.sh COMMAND...
set -euo pipefail

declare -A package=([promtool]=prometheus [faketime]=faketime [wrk]=wrk [msgfmt]=gettext)
need=()
for cmd in "$@"; do
  command -v "$cmd" >/dev/null || need+=("${package[$cmd]:?no package known for $cmd}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "tools: please install Debian's ${need[*]} (for: $*)" >&2
  exit 1
fi
echo "tools: installing ${need[*]} from Debian" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
