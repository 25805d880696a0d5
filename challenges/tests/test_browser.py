"""The challenge pages in a real browser (Debian's Chromium through Playwright,
against uvicorn on the test database and Redis, as rankings' browser test):
the leaderboard links to the running challenges; a team challenge's board
and its teams view move after an API sync without a reload; a final
challenge shows its frozen results, a deleted participant as "former participant".
"""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services import user_delete
from challenges import services
from challenges.models import Kind
from pedometer_site.tests.browsers import services_server
from pedometer_site.tests.servers import BASE_DIR
from pedometer_site.tests.testing import PASSWORD, make_user

from .builders import NOW, TODAY, days_ago, started, team, walk

ARTIFACTS = BASE_DIR / "test-artifacts"


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn on the test database and Redis: the test makes its challenges in the ORM."""
    server = services_server()
    try:
        yield server.url
    finally:
        server.stop()


pytestmark = pytest.mark.django_db(transaction=True)


def rows(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        "rows => rows.map(r => [r.cells[0].textContent.trim(), r.cells[1].textContent.trim(),"
        " r.cells[r.cells.length - 1].textContent.trim()])",
    )


def test_the_challenge_pages_live_teams_and_final_results(asgi_server, chromium):
    me = make_user(email="me@example.com", display_name="Me")
    ann, bo, gone = make_user(display_name="Ann"), make_user(display_name="Bo"), make_user(display_name="Gone")
    contest = started(Kind.TEAM, creator=me, starts_on=days_ago(2), ends_on=days_ago(-3))
    contest.name = "Office steps"
    contest.save(update_fields=["name"])
    team(contest, "Reds", me)
    team(contest, "Blues", ann, bo)
    walk(ann, 6_000, TODAY)
    walk(bo, 3_000, TODAY)
    walk(me, 4_000, TODAY)
    done = started(
        Kind.TOTAL, creator=ann, starts_on=days_ago(8), ends_on=days_ago(6), entrants=[gone, me], grace_hours=0
    )
    done.name = "Last week's walk"
    done.save(update_fields=["name"])
    walk(gone, 9_000, days_ago(7))
    walk(me, 5_000, days_ago(7))
    assert services.finalise_if_due(challenge=done, now=NOW)
    user_delete(user=gone)

    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1000, "height": 800})
    page.goto(f"{asgi_server}/login/?next=/")
    page.fill("#id_username", "me@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{asgi_server}/")

    # The leaderboard links to the list of running challenges, which links to each.
    page.click("text=Challenges →")
    page.wait_for_url(f"{asgi_server}/challenges/")
    assert "Office steps" in page.text_content("#running-challenges")
    assert "Last week's walk" in page.text_content("#final-challenges")
    page.click("#running-challenges >> text=Office steps")
    page.wait_for_url(f"{asgi_server}/challenges/{contest.pk}/")
    page.wait_for_selector('#board[data-live="connected"]')
    assert rows(page, "board") == [["1", "Ann", "6,000"], ["2", "Me (you)", "4,000"], ["3", "Bo", "3,000"]]
    assert rows(page, "teams") == [["1", "Blues", "9,000"], ["2", "Reds", "4,000"]]
    page.evaluate("window.__sameDocument = true")

    response = page.request.post(
        f"{asgi_server}/api/v1/steps/sync",
        data={"source": "phone", "days": [{"date": TODAY.isoformat(), "steps": 10_000}]},
        headers={"Authorization": f"Bearer {AccessToken.for_user(me)}"},
    )
    assert response.status == 200, response.text()

    # The socket's rows move both tables in place.
    page.wait_for_selector("#teams tbody tr:first-child th:text('Reds')", timeout=10_000)
    page.wait_for_selector("#board tbody tr:first-child.me", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    assert rows(page, "board") == [["1", "Me (you)", "10,000"], ["2", "Ann", "6,000"], ["3", "Bo", "3,000"]]
    assert rows(page, "teams") == [["1", "Reds", "10,000"], ["2", "Blues", "9,000"]]
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / "challenge.png"), full_page=True)

    # A final challenge: its frozen table, the deleted account as a former participant, not live.
    page.goto(f"{asgi_server}/challenges/")
    page.click("#final-challenges >> text=Last week's walk")
    page.wait_for_url(f"{asgi_server}/challenges/{done.pk}/")
    assert "Final results" in page.text_content(".challenge-meta")
    assert rows(page, "board") == [["1", "former participant", "9,000"], ["2", "Me (you)", "5,000"], ["3", "Ann", "0"]]
    assert page.get_attribute("#board", "data-live") == ""
    page.screenshot(path=str(ARTIFACTS / "challenge-final.png"), full_page=True)
    page.close()
