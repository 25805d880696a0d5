#!/usr/bin/env bash
# Installs axe-core (pinned in package.json + package-lock.json) into
# node_modules/ for the accessibility test; Debian's nodejs/npm when missing.
# The browser reads it from disk in the test: never from a CDN, never served.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=$(sed -n 's/.*"axe-core": "\([^"]*\)".*/\1/p' package.json | head -1)
if [ -f node_modules/axe-core/axe.min.js ] && grep -q "\"version\": \"$wanted\"" node_modules/axe-core/package.json; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "axe: please install Debian's nodejs and npm packages (the accessibility test needs axe-core)" >&2
    exit 1
  fi
  echo "axe: installing nodejs and npm from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 nodejs npm >/dev/null
fi
echo "axe: npm ci (axe-core $wanted)" >&2
npm ci --no-audit --no-fund --loglevel=error
