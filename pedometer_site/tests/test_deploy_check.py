"""Production settings (DEBUG off, a real secret) pass Django's deployment
checklist with no warnings at all."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def deploy_check(**env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_", "DEBUG"))
    }
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),  # 67 characters, random
        DATABASE_URL=os.environ.get("DATABASE_URL") or "mysql://app:secret@127.0.0.1:3306/pedometer",
        PYTHONWARNINGS="default",
    )
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check_without_a_warning():
    result = deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr
    assert "Warning" not in result.stderr


def test_the_deploy_check_does_catch_a_development_setting():
    # The check above can fail: DEBUG on is a deployment warning.
    result = deploy_check(DEBUG="true")

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr
