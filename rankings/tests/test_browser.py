"""The leaderboard in a real browser: Debian's Chromium, driven by Playwright,
against the real ASGI server (uvicorn, a subprocess on the test database and
Redis). A sync through the API moves a row to its new place without a reload.

pytest-django's live_server speaks WSGI only (no WebSockets), hence the
subprocess; the test is transactional so the server sees its rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Visibility
from pedometer_site.tests.servers import Server, server_env
from pedometer_site.tests.testing import PASSWORD, make_user

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


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn serving pedometer_site.asgi on a free loopback port, on the test
    database and Redis; stopped after the test."""
    # DEBUG: plain-http cookies and static files from the source folders (no collectstatic).
    server = Server(env=server_env(DEBUG="true", REDIS_URL=django_settings.REDIS_URL))
    try:
        yield server.url
    finally:
        server.stop()


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

    ARTIFACTS.mkdir(exist_ok=True)
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

    # A phone syncs through the API; the server's board feed moves the row.
    response = page.request.post(
        f"{asgi_server}/api/v1/steps/sync",
        data={"source": "phone", "days": [{"date": TODAY.isoformat(), "steps": 9_000}]},
        headers={"Authorization": f"Bearer {AccessToken.for_user(me)}"},
    )
    assert response.status == 200, response.text()
    assert response.json()["days"][0]["steps"] == 9_000

    # A selector, not wait_for_function: the page's CSP (rightly) forbids the eval that needs.
    page.wait_for_selector("#board tbody tr:first-child[data-name='Me']", timeout=10_000)
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
