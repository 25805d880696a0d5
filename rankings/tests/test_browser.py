"""The leaderboard in a real browser: Debian's Chromium, driven by Playwright,
against the real ASGI server (uvicorn, a subprocess). Twice: on MariaDB +
Redis, and on the embedded default (SQLite, in-memory channel layer and
board feed, no index), where every row comes from the SQL fallback. A sync
through the API moves a row to its new place without a reload on both.

The data is made through the API of the server under test (accounts
registered, steps synced), so the same steps work on either.

pytest-django's live_server speaks WSGI only (no WebSockets), hence the
subprocess; the test is transactional so the MariaDB server sees its rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pedometer_site.tests.browsers import embedded_server, services_server
from pedometer_site.tests.testing import PASSWORD


@pytest.fixture(params=["mariadb+redis", "embedded"])
def asgi_server(request, tmp_path, transactional_db):
    # Transactional for both: the MariaDB server must see the rows, and the
    # embedded one is left nothing to clean up in the test database.
    server = embedded_server(tmp_path) if request.param == "embedded" else services_server()
    try:
        yield server.url
    finally:
        server.stop()


class Walkers:
    """Accounts and syncs through the server's own API."""

    def __init__(self, request_context, url: str) -> None:
        self.http = request_context
        self.url = url
        self.tokens: dict[str, str] = {}

    def register(self, name: str, *, visibility: str = "public", goal: int = 10_000) -> str:
        email = f"{name.lower()}@example.com"
        response = self.http.post(
            f"{self.url}/api/v1/auth/register",
            data={"email": email, "password": PASSWORD, "display_name": name, "timezone": "UTC", "daily_goal": goal},
        )
        assert response.status == 201, response.text()
        self.tokens[name] = response.json()["access"]
        if visibility != "public":
            patched = self.http.patch(
                f"{self.url}/api/v1/me", data={"visibility": visibility}, headers=self._auth(name)
            )
            assert patched.status == 200, patched.text()
        return email

    def sync(self, name: str, steps: int, *, days_ago: int = 0) -> None:
        day = (timezone.now() - timedelta(days=days_ago)).date()
        response = self.http.post(
            f"{self.url}/api/v1/steps/sync",
            data={"source": "phone", "days": [{"date": day.isoformat(), "steps": steps}]},
            headers=self._auth(name),
        )
        assert response.status == 200, response.text()
        assert response.json()["days"][0]["steps"] == steps

    def _auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def board_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#board tbody tr",
        "rows => rows.map(r => [r.cells[0].textContent.trim(), r.dataset.name, r.cells[3].textContent.trim()])",
    )


def sign_in(page, url: str, email: str, then: str = "/") -> None:
    page.goto(f"{url}/login/?next={then}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{then}")


def test_a_sync_moves_the_row_live_without_a_reload(asgi_server, chromium):
    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    walkers = Walkers(page.request, asgi_server)
    me = walkers.register("Me", goal=12_000)
    for name in ("Ann", "Bo"):
        walkers.register(name)
    walkers.register("Hermit", visibility="private")
    walkers.sync("Ann", 8_000)
    walkers.sync("Bo", 6_000)
    walkers.sync("Hermit", 50_000)
    walkers.sync("Me", 4_000)
    walkers.sync("Me", 9_500, days_ago=1)  # first yesterday: today's rank 3 is "down 2"

    sign_in(page, asgi_server, me)
    page.wait_for_selector('#board[data-live="connected"]')
    assert board_rows(page) == [["1", "Ann", "8,000"], ["2", "Bo", "6,000"], ["3", "Me", "4,000"]]
    assert page.text_content("#my-row .move .visually-hidden") == "down 2"
    assert page.text_content("label[for=my-day-progress]") == "4,000 of 12,000 steps (33%)"
    page.evaluate("window.__sameDocument = true")

    # A phone syncs through the API; the server's board feed moves the row.
    walkers.sync("Me", 9_000)

    # A selector, not wait_for_function: the page's CSP (rightly) forbids the eval that needs.
    page.wait_for_selector("#board tbody tr:first-child[data-name='Me']", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True  # moved in place: no reload
    assert board_rows(page) == [["1", "Me", "9,000"], ["2", "Ann", "8,000"], ["3", "Bo", "6,000"]]
    assert page.get_attribute("#board tbody tr:first-child", "class").split()[0] == "me"
    assert "You: rank 1, 9,000 steps." in page.text_content("#board-status")
    assert page.text_content("#my-place") == "You are #1 with 9,000 steps."
    assert page.text_content("#my-row .move .visually-hidden") == "no change"  # first yesterday, first today
    # The bars follow, on one scale for the page: the most of the leader's steps and anyone's goal (Me's 12,000).
    assert page.get_attribute("#my-row .bar-steps", "width") == "75.0"  # 9,000 of Me's goal, 12,000
    assert page.get_attribute("tr[data-name='Ann'] .bar-steps", "width") == "66.7"
    assert page.text_content("label[for=my-day-progress]") == "9,000 of 12,000 steps (75%)"
    assert page.get_attribute("#my-day-progress", "value") == "9000"
    page.close()


def test_reduced_motion_turns_the_row_animation_off(asgi_server, chromium):
    results = {}
    for reduced in (False, True):
        page = chromium.new_page(
            viewport={"width": 1000, "height": 700}, reduced_motion="reduce" if reduced else "no-preference"
        )
        walkers = Walkers(page.request, asgi_server)
        first, second = ("Cy", "Dee") if reduced else ("Ann", "Bo")
        walkers.register(first)
        walkers.register(second)
        walkers.sync(first, 5_000)
        walkers.sync(second, 1_000)
        page.goto(f"{asgi_server}/")
        page.wait_for_selector('#board[data-live="connected"]')
        # Watch the moving row from the moment it arrives on top: on a busy
        # machine a later look may find its slide already over.
        page.evaluate(
            """(name) => { const body = document.querySelector('#board tbody');
                 window.seen = {transitions: [], animation: null};
                 new MutationObserver(() => {
                   const tr = body.querySelector('tr:first-child');
                   if (!tr || tr.dataset.name !== name) return;
                   if (window.seen.animation === null) window.seen.animation = getComputedStyle(tr).animationName;
                   window.seen.transitions.push(tr.style.transition);
                 }).observe(body, {childList: true, subtree: true, attributes: true}); }""",
            second,
        )
        walkers.sync(second, 20_000 if reduced else 7_000)  # past everyone so far
        page.wait_for_selector(f"#board tbody tr:first-child[data-name='{second}']", timeout=10_000)
        page.wait_for_timeout(1_000)  # longer than the slide
        seen = page.evaluate("() => window.seen")
        results[reduced] = [any("transform" in t for t in seen["transitions"]), seen["animation"]]
        page.close()
    assert results[False] == [True, "changed"]  # it slid, and was highlighted
    assert results[True] == [False, "none"]


def test_the_board_works_from_the_keyboard_alone(asgi_server, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    walkers = Walkers(page.request, asgi_server)
    walkers.register("Ann")
    walkers.register("Anton")
    walkers.register("Bo")
    for name, steps in (("Ann", 3_000), ("Anton", 2_000), ("Bo", 1_000)):
        walkers.sync(name, steps, days_ago=1)
    page.goto(f"{asgi_server}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways on a phone

    def tab_to(text: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")
            if focused == text:
                # Focus is visible: our outline, not the browser's absence of one.
                assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
                return
        raise AssertionError(f"Tab never reached {text!r}")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    tab_to("Last 7 days")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{asgi_server}/?period=rolling7")
    assert [name for _, name, _ in board_rows(page)] == ["Ann", "Anton", "Bo"]
    tab_to("← Earlier")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?period=rolling7&date=*")
    tab_to("board-search")
    page.keyboard.type("ant")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=ant*")
    assert board_rows(page) == [["2", "Anton", "2,000"]]
    page.close()
