"""Accessibility checked, not assumed: axe-core (npm, pinned in
package-lock.json, read from node_modules/: never a CDN) runs in Debian's
Chromium on every page, in English and Korean, at desktop and phone widths,
under the pages' own CSP (axe goes in through page.evaluate, which the CSP
does not govern; bypass_csp would let inline styles through and change what
is checked). Zero serious or critical violations; the failure prints them.

To add a page, append a ``Page`` to ``PAGES``: its path (``{challenge}``
stands for a demo challenge's id), and who looks (``None`` signed out,
``"walker"`` walker1 of the demo data, ``"staff"`` the staff account).
The server is `make run`'s: the embedded default with seed_demo's data.

The README's screenshots (docs/screenshots/) are taken here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.conf import settings

from pedometer_site.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD

from .browsers import SCREENSHOTS, chromium_browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
ACCOUNTS = {
    "walker": ("walker1@example.com", DEMO_PASSWORD),
    "demo": (DEMO_EMAIL, DEMO_PASSWORD),
    "staff": (STAFF_EMAIL, STAFF_PASSWORD),
}
LANGUAGES = {"en": "en-US", "ko": "ko-KR"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass(frozen=True)
class Page:
    path: str
    who: str | None = None

    def __str__(self) -> str:
        return f"{self.path} as {self.who or 'visitor'}"


PAGES = [
    Page("/"),
    Page("/?period=week"),
    Page("/?period=month"),
    Page("/?period=rolling7"),
    Page("/", who="walker"),
    Page("/?scope=friends", who="walker"),
    Page("/?page=2"),
    Page("/?q=an"),
    Page("/?period=garbage"),  # the 400 page
    Page("/challenges/"),
    Page("/challenges/{challenge}/", who="walker"),
    Page("/login/"),
    Page("/admin/login/"),
    Page("/signup/"),
    Page("/password-reset/"),
    Page("/password-reset/sent/"),
    Page("/password-reset/x/bad-token/"),  # an invalid link says so
    Page("/password-reset/done/"),
    Page("/me/", who="demo"),
    Page("/settings/", who="walker"),
    Page("/settings/password/", who="walker"),
]


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def signed_in_states(browser, demo_server, tmp_path_factory):
    """Cookies of a signed-in session per account, made once through the sign-in form."""
    states = {}
    for who, (email, password) in ACCOUNTS.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{demo_server}/login/?next=/")
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{demo_server}/")
        states[who] = str(tmp_path_factory.mktemp("state") / f"{who}.json")
        context.storage_state(path=states[who])
        context.close()
    return states


@pytest.fixture(scope="module")
def challenge_id(demo_server) -> str:
    html = urlopen(f"{demo_server}/challenges/", timeout=10).read().decode()  # noqa: S310 - our test server
    found = re.search(r'href="/challenges/(\d+)/"', html)
    assert found, "the demo data has no challenge page"
    return found.group(1)


def open_page(browser, demo_server, signed_in_states, *, path, who, language, viewport):
    context = browser.new_context(
        locale=LANGUAGES[language], viewport=VIEWPORTS[viewport], storage_state=signed_in_states[who] if who else None
    )
    page = context.new_page()
    response = page.goto(f"{demo_server}{path}")
    assert response is not None and response.status < 500
    if page.query_selector("#board[data-live-mode]"):
        page.wait_for_selector("#board[data-live]")  # the script ran and the socket answered
    return context, page


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("target", PAGES, ids=str)
def test_no_serious_or_critical_accessibility_violations(
    browser, demo_server, signed_in_states, challenge_id, target, language, viewport
):
    assert AXE.is_file(), "axe-core is missing: run `make browser` (scripts/axe.sh: npm ci)"
    path = target.path.format(challenge=challenge_id)
    context, page = open_page(
        browser, demo_server, signed_in_states, path=path, who=target.who, language=language, viewport=viewport
    )
    try:
        assert page.get_attribute("html", "lang").split("-")[0] == language
        page.evaluate(AXE.read_text())
        violations = page.evaluate("async () => (await axe.run(document)).violations")
    finally:
        context.close()
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
    assert not blocking, f"{path} ({language}, {viewport}):\n{describe(blocking)}"


def test_the_check_sees_a_violation_when_there_is_one(browser, demo_server, signed_in_states):
    """The check itself: a nameless button and a low-contrast line put into the
    board are reported, so a pass above means something."""
    context, page = open_page(
        browser, demo_server, signed_in_states, path="/", who=None, language="en", viewport="desktop"
    )
    try:
        page.evaluate(AXE.read_text())
        page.evaluate("""() => {
            document.querySelector('main').append(document.createElement('button'));
            const faint = document.createElement('p');
            faint.textContent = 'faint';
            faint.style.color = '#eeeeee';
            document.querySelector('main').append(faint);
        }""")
        violations = page.evaluate("async () => (await axe.run(document)).violations")
    finally:
        context.close()
    found = {violation["id"]: violation["impact"] for violation in violations}
    assert found.get("button-name") == "critical" and found.get("color-contrast") == "serious", found


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_readme_screenshots_of_the_board(browser, demo_server, signed_in_states, language, viewport):
    context, page = open_page(
        browser, demo_server, signed_in_states, path="/", who="walker", language=language, viewport=viewport
    )
    try:
        page.wait_for_timeout(300)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"board-{language}-{viewport}.png"))
    finally:
        context.close()
