"""The leaderboard page at /: rendered on the server, accessible, highlighted."""

import re

import pytest

from accounts.models import Visibility
from pedometer_site.tests.testing import PASSWORD, make_user

from .boards import TODAY, walk


def rows(html: str) -> list[tuple[str, str, str]]:
    """(rank, name, steps) of each body row, as a reader of the table sees them."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    found = re.findall(
        r'<tr data-user="[^"]*" data-name="([^"]*)".*?<td class="rank">(\d+)</td>.*?<td class="steps">([\d,]+)</td>',
        body,
        re.S,
    )
    return [(rank, name, steps) for name, rank, steps in found]


@pytest.mark.django_db
def test_signed_out_visitors_see_todays_public_board(client):
    walk(make_user(display_name="Ann"), 12_345, TODAY)
    walk(make_user(display_name="Bo"), 9_000, TODAY)
    walk(make_user(display_name="Hermit", visibility=Visibility.PRIVATE), 20_000, TODAY)
    walk(make_user(display_name="Shy", visibility=Visibility.FRIENDS), 15_000, TODAY)
    html = client.get("/").content.decode()
    assert rows(html) == [("1", "Ann", "12,345"), ("2", "Bo", "9,000")]
    assert '<caption id="board-caption">Steps today' in html
    assert '<th scope="col" class="rank">Rank</th>' in html
    assert 'aria-live="polite"' in html
    assert 'href="/login/?next=/"' in html
    assert 'class="me"' not in html


@pytest.mark.django_db
def test_the_signed_in_walkers_row_is_highlighted(client):
    me = make_user(display_name="Me")
    walk(make_user(display_name="Ann"), 12_000, TODAY)
    walk(me, 9_000, TODAY)
    client.force_login(me)
    html = client.get("/").content.decode()
    (highlighted,) = re.findall(r'<tr [^>]*class="me"[^>]*>.*?</tr>', html, re.S)
    assert f'data-user="{me.uuid}"' in highlighted and 'aria-current="true"' in highlighted
    assert "(you)" in highlighted
    assert "You are <strong>#2</strong> with <strong>9,000</strong> steps; 3,001 more to pass" in html


@pytest.mark.django_db
def test_tabs_switch_to_the_week_and_month(client):
    walk(make_user(display_name="Ann"), 5_000, TODAY)
    html = client.get("/?period=week").content.decode()
    assert '<a href="?period=week" aria-current="page">This week</a>' in html
    assert '<caption id="board-caption">Steps this week' in html
    assert rows(html) == [("1", "Ann", "5,000")]
    assert 'data-period="month"' in client.get("/?period=month").content.decode()


@pytest.mark.django_db
def test_an_unknown_period_is_a_bad_request(client):
    response = client.get("/?period=year")
    assert response.status_code == 400
    assert "There is no “year” board" in response.content.decode()


@pytest.mark.django_db
def test_the_page_shows_the_top_hundred(client):
    for n in range(101):
        walk(make_user(display_name=f"W{n}"), 1_000 + n, TODAY)
    shown = rows(client.get("/").content.decode())
    assert len(shown) == 100
    assert shown[0] == ("1", "W100", "1,100") and shown[-1] == ("100", "W1", "1,001")


@pytest.mark.django_db
def test_signing_in_from_the_page_highlights_your_row(client):
    me = make_user(email="me@example.com", display_name="Me")
    walk(me, 3_000, TODAY)
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "me@example.com", "password": PASSWORD, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert 'class="me"' in client.get("/").content.decode()
    client.post("/logout/")
    assert 'class="me"' not in client.get("/").content.decode()
