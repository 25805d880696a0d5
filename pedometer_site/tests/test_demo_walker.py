"""`make demo-walker` beside `make run`: the demo walker's syncs go through
the running server's API, and the board open in a browser moves with them
(on the embedded default, where the feed lives in the server's process)."""

from __future__ import annotations

import io

from django.core.management import call_command

from pedometer_site.management.commands.seed_demo import DEMO_PASSWORD, FIRST_NAMES

from .browsers import chromium_browser


def test_the_demo_walker_moves_the_open_board(demo_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread
    name = f"{FIRST_NAMES[0]} A."  # walker1
    with chromium_browser() as browser:
        page = browser.new_page()
        page.goto(f"{demo_server}/login/?next=/")
        page.fill("#id_username", "walker1@example.com")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{demo_server}/")
        page.goto(f"{demo_server}/?q={name}")
        page.wait_for_selector('#board[data-live="connected"]')
        before = int(page.get_attribute("#my-row", "data-steps"))

        out = io.StringIO()
        call_command("demo_walker", url=demo_server, every=0, stride=500, times=2, stdout=out)
        assert out.getvalue().count("walker1@example.com: ") == 2

        # Two syncs: the second passes whatever the day held by 500 steps at least.
        page.wait_for_selector(f"#my-row:not([data-steps='{before}'])", timeout=10_000)
        assert int(page.get_attribute("#my-row", "data-steps")) >= before + 500
        page.close()
