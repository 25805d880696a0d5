"""The whole board at /: periods, scopes, earlier and later boards, pages,
search, goal bars, movement since yesterday, and what bad input gets."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from accounts.models import Visibility
from pedometer_site.tests.testing import make_user
from rankings.periods import EARLIEST_DATE

from .boards import TODAY, befriend, walk
from .test_page import rows

YESTERDAY = TODAY - timedelta(days=1)


def html_of(response) -> str:
    return response.content.decode()


def movement(html: str) -> dict[str, str]:
    """name -> what the movement cell says to a screen reader."""
    found = re.findall(r'data-name="([^"]*)".*?<td class="move">(.*?)</td>', html, re.S)
    return {
        name: re.sub(r"<[^>]+>", " ", re.sub(r'<span aria-hidden="true">.*?</span>', "", cell)).strip()
        for name, cell in found
    }


@pytest.mark.django_db
def test_rolling7_is_a_tab_and_sums_the_last_seven_days(client):
    ann = make_user(display_name="Ann")
    walk(ann, 1_000, TODAY)
    walk(ann, 2_000, TODAY - timedelta(days=6))
    walk(ann, 4_000, TODAY - timedelta(days=7))  # outside the window
    response = client.get("/?period=rolling7")
    assert response.status_code == 200
    html = html_of(response)
    assert rows(html) == [("1", "Ann", "3,000")]
    assert '<a href="?period=rolling7" aria-current="page">Last 7 days</a>' in html
    assert '<caption id="board-caption">Steps in the last 7 days' in html


@pytest.mark.parametrize(
    "query",
    [
        "period=garbage",
        "period=%00",
        "scope=everyone",
        "date=9999-12-31",
        "date=0001-01-01",
        "date=not-a-date",
        "date=1999-12-31",
        f"date={(TODAY + timedelta(days=2)).isoformat()}",
        "page=-1",
        "page=0",
        "page=100000000000000000000",
        "page=abc",
        "page=1.5",
        "q=" + "x" * 10_000,
    ],
)
@pytest.mark.django_db
def test_bad_input_is_a_400_page_that_says_what_was_wrong(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    html = html_of(response)
    assert 'role="alert"' in html and 'id="board"' not in html
    assert "Back to today" in html


@pytest.mark.parametrize("q", ["' OR 1=1 --", "%", "_", '"; DROP TABLE accounts_user; --', "🚶‍♀️"])
@pytest.mark.django_db
def test_search_takes_any_text_literally(client, q):
    walk(make_user(display_name="Ann"), 1_000, TODAY)
    walk(make_user(display_name="Walker 🚶‍♀️"), 2_000, TODAY)
    response = client.get("/", {"q": q})
    assert response.status_code == 200
    expected = [("1", "Walker 🚶‍♀️", "2,000")] if q == "🚶‍♀️" else []
    assert rows(html_of(response)) == expected


@pytest.mark.django_db
def test_search_finds_names_with_their_rank_on_the_whole_board(client):
    for n, steps in enumerate([9_000, 8_000, 7_000, 6_000]):
        walk(make_user(display_name=f"Anna {n}" if n % 2 else f"Bo {n}"), steps, TODAY)
    html = html_of(client.get("/", {"q": "anna"}))
    assert rows(html) == [("2", "Anna 1", "8,000"), ("4", "Anna 3", "6,000")]
    assert "People whose name contains “anna”" in html


@pytest.mark.django_db
def test_a_private_walker_is_on_no_board_and_in_no_search_but_their_own(client):
    hermit = make_user(display_name="Hermit", visibility=Visibility.PRIVATE)
    shy = make_user(display_name="Shy Hermit", visibility=Visibility.FRIENDS)
    friend = make_user(display_name="Friend")
    stranger = make_user(display_name="Stranger")
    befriend(hermit, friend)
    befriend(shy, friend)
    walk(hermit, 20_000, TODAY)
    walk(shy, 10_000, TODAY)
    for viewer in (None, friend, stranger):
        client.logout()
        if viewer:
            client.force_login(viewer)
        for params in ({}, {"q": "hermit"}, {"scope": "friends"} if viewer else {}):
            names = [name for _, name, _ in rows(html_of(client.get("/", params)))]
            assert "Hermit" not in names
            assert ("Shy Hermit" in names) == (viewer is friend)
    client.force_login(hermit)
    assert [name for _, name, _ in rows(html_of(client.get("/", {"q": "hermit"})))] == ["Hermit"]


@pytest.mark.django_db
def test_the_friends_board_is_me_and_my_friends(client):
    me, ann, bo = make_user(display_name="Me"), make_user(display_name="Ann"), make_user(display_name="Bo")
    befriend(me, ann)
    for user, steps in ((me, 3_000), (ann, 5_000), (bo, 9_000)):
        walk(user, steps, TODAY)
    client.force_login(me)
    html = html_of(client.get("/?scope=friends"))
    assert rows(html) == [("1", "Ann", "5,000"), ("2", "Me", "3,000")]
    assert '<a href="?scope=friends" aria-current="page">Friends</a>' in html
    assert 'data-live-mode="rows"' in html  # the public feed may not add strangers here
    # The tabs keep the scope.
    assert 'href="?period=week&amp;scope=friends"' in html


@pytest.mark.django_db
def test_the_friends_board_asks_a_visitor_to_sign_in(client):
    response = client.get("/?scope=friends&period=week")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/%3Fscope%3Dfriends%26period%3Dweek"


@pytest.mark.django_db
def test_earlier_and_later_boards_never_run_into_the_future_or_before_the_range(client):
    walk(make_user(display_name="Ann"), 4_000, YESTERDAY)
    today = html_of(client.get("/"))
    assert f'href="?date={YESTERDAY.isoformat()}" rel="prev"' in today
    assert 'rel="next"' not in today.split('class="dates"')[1].split("</nav>")[0]
    yesterday = html_of(client.get("/", {"date": YESTERDAY.isoformat()}))
    assert rows(yesterday) == [("1", "Ann", "4,000")]
    assert f"Steps on {YESTERDAY.isoformat()}" in yesterday
    assert 'href="?" rel="next"' in yesterday  # back to today's board
    first = html_of(client.get("/", {"date": EARLIEST_DATE.isoformat()}))
    assert 'rel="prev"' not in first.split('class="dates"')[1].split("</nav>")[0]
    week = html_of(client.get("/", {"period": "week"}))
    previous_week = TODAY - timedelta(days=TODAY.weekday() + 1)
    assert f'href="?period=week&amp;date={previous_week.isoformat()}" rel="prev"' in week


@pytest.mark.django_db
def test_boards_beyond_a_hundred_have_pages_and_a_jump_to_my_row(client):
    me = make_user(display_name="Me")
    for n in range(104):
        walk(make_user(display_name=f"W{n:03d}"), 2_000 + n, TODAY)
    walk(me, 1_000, TODAY)
    client.force_login(me)
    first = html_of(client.get("/"))
    assert len(rows(first)) == 100
    assert 'href="?page=2" rel="next"' in first
    assert 'href="?page=2#my-row">Jump to my row' in first
    second = html_of(client.get("/?page=2"))
    assert rows(second) == [("101", "W003", "2,003"), ("102", "W002", "2,002"), ("103", "W001", "2,001"),
                            ("104", "W000", "2,000"), ("105", "Me", "1,000")]  # fmt: skip
    assert 'id="my-row"' in second and 'href="?" rel="prev"' in second
    assert 'rel="next"' not in second.split('class="pages"')[1]
    assert html_of(client.get("/?page=3")).count("<tr data-user") == 0


@pytest.mark.django_db
def test_bars_show_steps_against_the_leader_and_the_goal(client):
    walk(make_user(display_name="Ann", daily_goal=8_000), 16_000, TODAY)
    walk(make_user(display_name="Bo", daily_goal=10_000), 4_000, TODAY)
    html = html_of(client.get("/"))
    ann, bo = re.findall(
        r'<rect class="bar-steps" x="0" y="1" width="([\d.]+)"[^>]*></rect><rect class="bar-goal" x="([\d.]+)"', html
    )
    assert ann == ("100.0", "50.0") and bo == ("25.0", "62.5")
    assert "200% of goal" in html and "40% of goal" in html
    assert "style=" not in html.split("<tbody>")[1]  # the CSP allows no inline styles


@pytest.mark.django_db
def test_week_bars_scale_the_goal_by_its_seven_days(client):
    walk(make_user(display_name="Ann", daily_goal=1_000), 14_000, TODAY)
    html = html_of(client.get("/?period=week"))
    assert re.search(r'class="bar-goal" x="50.0"', html) and "200% of goal" in html  # 7 x 1,000 of 14,000
    assert 'data-goal="7000"' in html


@pytest.mark.django_db
def test_movement_since_yesterday_up_down_same_and_new(client):
    ann, bo, cy, dee = (make_user(display_name=name) for name in ("Ann", "Bo", "Cy", "Dee"))
    for user, steps in ((bo, 9_000), (cy, 8_000), (ann, 7_000)):
        walk(user, steps, YESTERDAY)
    for user, steps in ((ann, 9_000), (dee, 8_500), (bo, 8_000), (cy, 1_000)):
        walk(user, steps, TODAY)
    html = html_of(client.get("/"))
    assert movement(html) == {"Ann": "up 2", "Dee": "new", "Bo": "down 2", "Cy": "down 2"}
    assert '<span aria-hidden="true">▲2</span>' in html
    walk(cy, 8_600, TODAY)
    assert movement(html_of(client.get("/")))["Cy"] == "no change"


@pytest.mark.django_db
def test_week_and_month_show_no_movement(client):
    walk(make_user(display_name="Ann"), 1_000, TODAY)
    assert movement(html_of(client.get("/?period=week"))) == {"Ann": ""}


@pytest.mark.django_db
def test_my_progress_toward_todays_goal(client):
    me = make_user(display_name="Me", daily_goal=8_000)
    walk(me, 6_000, TODAY)
    client.force_login(me)
    html = html_of(client.get("/"))
    assert '<progress id="my-day-progress"' in html and 'max="8000" value="6000"' in html
    assert "6,000 of 8,000 steps (75%)" in html
    walk(me, 20_000, TODAY)
    html = html_of(client.get("/?period=month"))  # every tab shows today's goal
    assert 'max="8000" value="8000"' in html and "20,000 of 8,000 steps (100%)" in html


@pytest.mark.django_db
def test_the_board_links_to_the_challenges(client):
    assert 'href="/challenges/"' in html_of(client.get("/"))


@pytest.mark.django_db
def test_the_board_speaks_korean_with_a_matching_lang(client):
    walk(make_user(display_name="Ann"), 1_000, TODAY)
    html = html_of(client.get("/", headers={"accept-language": "ko"}))
    assert '<html lang="ko">' in html
    assert "걸음" in html and "리더보드" in html
    assert rows(html) == [("1", "Ann", "1,000")]
    assert '<html lang="en">' in html_of(client.get("/", headers={"accept-language": "en"}))
    # The live page's words come from the page, in its language.
    texts = json.loads(re.search(r'<script id="board-texts" type="application/json">(.*?)</script>', html).group(1))
    assert texts["my_place"] == "%(steps)s걸음으로 %(rank)s위입니다"
