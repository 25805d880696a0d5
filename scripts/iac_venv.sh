#!/usr/bin/env bash
# Creates .venv-iac with checkov (requirements-iac.txt). A venv of its own: checkov
# carries bc-python-hcl2, a fork that installs the same "hcl2" package as the
# python-hcl2 the tests parse with (.venv), and pins many packages of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV_IAC=${VENV_IAC:-.venv-iac}

if [ ! -x "$VENV_IAC/bin/python" ]; then
  "$PYTHON" -m venv "$VENV_IAC"
fi
stamp="$VENV_IAC/.requirements.sha"
want=$(sha256sum requirements-iac.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VENV_IAC/bin/pip" install -q --upgrade pip
  "$VENV_IAC/bin/pip" install -q -r requirements-iac.txt
  echo "$want" >"$stamp"
fi
