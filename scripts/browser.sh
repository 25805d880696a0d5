#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test
# (driven by Playwright, which never downloads a browser of its own here).
set -euo pipefail

# Korean pages (and their screenshots) need a Korean font: Debian's Nanum.
if [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/truetype/nanum ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "browser: please install Debian's chromium and fonts-nanum packages (the browser test needs /usr/bin/chromium)" >&2
  exit 1
fi
echo "browser: installing chromium and fonts-nanum from Debian" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium fonts-nanum >/dev/null
