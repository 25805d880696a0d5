"""The leaderboard in a real browser: Debian's Chromium, driven by Playwright,
against the real ASGI server (uvicorn, a subprocess on the test database and
Redis). A sync moves a row to its new place without a reload.

pytest-django's live_server speaks WSGI only (no WebSockets), hence the
subprocess; the test is transactional so the server sees its rows.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import global_settings
from django.conf import settings as django_settings
from django.db import connection

from accounts.models import Visibility
from pedometer_site.testing import PASSWORD, make_user

from .boards import TODAY, walk

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
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"mysql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


@pytest.fixture
def asgi_server(transactional_db, settings):
    """uvicorn serving pedometer_site.asgi on a free loopback port; stopped after the test."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server checks passwords its own way
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "SECRET_KEY": django_settings.SECRET_KEY,
        # Plain http on loopback, static files from the source folders (no collectstatic).
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "asgi-server.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "pedometer_site.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", "--no-access-log"]
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        command,
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310 - loopback http
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the ASGI server did not start; see {ARTIFACTS / 'asgi-server.log'}") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which makes
    # Django refuse ORM calls; nothing async shares this thread's connection.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def in_thread(function, *args):
    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def board_rows(page) -> list[tuple[str, str, str]]:
    return page.eval_on_selector_all(
        "#board tbody tr",
        "rows => rows.map(r => [r.cells[0].textContent.trim(), r.dataset.name, r.cells[2].textContent.trim()])",
    )


def test_a_sync_moves_the_row_live_without_a_reload(asgi_server, chromium):
    me = make_user(email="me@example.com", display_name="Me")
    walk(make_user(display_name="Ann"), 8_000, TODAY)
    walk(make_user(display_name="Bo"), 6_000, TODAY)
    walk(make_user(display_name="Hermit", visibility=Visibility.PRIVATE), 50_000, TODAY)
    walk(me, 4_000, TODAY)

    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    page.goto(f"{asgi_server}/login/?next=/")
    page.fill("#id_username", "me@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{asgi_server}/")
    page.wait_for_selector('#board[data-live="connected"]')
    assert board_rows(page) == [["1", "Ann", "8,000"], ["2", "Bo", "6,000"], ["3", "Me", "4,000"]]
    assert page.get_attribute("#board tbody tr.me", "data-name") == "Me"
    page.evaluate("window.__sameDocument = true")

    # The steps API posts through record_steps too; here the test process calls
    # it, and the channel layer (Redis) carries the change to the server's socket.
    # (In a thread of its own: Playwright keeps an event loop in this one.)
    in_thread(walk, me, 9_000, TODAY)

    page.wait_for_function("document.querySelector('#board tbody tr').dataset.name === 'Me'", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True  # moved in place: no reload
    assert board_rows(page) == [["1", "Me", "9,000"], ["2", "Ann", "8,000"], ["3", "Bo", "6,000"]]
    assert page.get_attribute("#board tbody tr:first-child", "class").split()[0] == "me"
    assert "You: rank 1, 9,000 steps." in page.text_content("#board-status")
    assert page.text_content("#my-place") == "You are #1 with 9,000 steps."
    page.wait_for_timeout(600)  # let the move finish before the picture
    page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)

    # Down to a phone's width: nothing sticks out sideways; the tabs work from the keyboard.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.focus("nav.tabs a[href='?period=week']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{asgi_server}/?period=week")
    assert page.get_attribute("nav.tabs a[aria-current=page]", "href") == "?period=week"
    page.screenshot(path=str(ARTIFACTS / "leaderboard-phone.png"), full_page=True)
    page.close()
