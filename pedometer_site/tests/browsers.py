"""Real-browser helpers: Debian's Chromium driven by Playwright, and the two
servers a page test runs against — uvicorn on the test MariaDB + Redis, and
uvicorn on the embedded default (SQLite in a temporary folder, no Redis: the
in-memory channel layer and board feed, as `make run` serves)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from .servers import BASE_DIR, Server, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
# Not the environment's: every variable that points at a service goes.
_SERVICE_VARIABLES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "REDIS_SENTINELS", "CELERY_BROKER_URL")


@contextmanager
def chromium_browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def chromium(monkeypatch):
    """A headless Chromium for one test (every test module has it: the root conftest loads this module)."""
    # Playwright's sync API keeps an event loop in this thread, which makes
    # Django refuse ORM calls; nothing async shares this thread's connection.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_browser() as browser:
        yield browser


def services_server() -> Server:
    """uvicorn on the test database and Redis (the test must be transactional)."""
    # DEBUG: plain-http cookies and static files from the source folders (no collectstatic).
    return Server(env=server_env(DEBUG="true", REDIS_URL=settings.REDIS_URL))


def embedded_env(folder: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _SERVICE_VARIABLES}
    # The embedded default names its SQLite file in the checkout; a test's goes in its own folder.
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        DEBUG="true",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        IMPORT_DIR=str(folder / "imports"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def embedded_server(folder: Path, *, seed: bool = False) -> Server:
    """uvicorn on the embedded default: a fresh, migrated SQLite file (with the
    demo data when ``seed``), no Redis."""
    env = embedded_env(folder)
    manage(env, "migrate", "--no-input", "-v0")
    if seed:
        manage(env, "seed_demo")
    return Server(env=env)
