"""/me/: the personal page, rendered on the server in the user's own days."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.services import user_update
from pedometer_site.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from pedometer_site.tests.testing import make_user
from steps.services import DaySample, record_steps

URL = "/me/"


def walked(user, steps_by_day: dict[date, int], now: datetime) -> None:
    record_steps(user=user, days=[DaySample(d, s) for d, s in steps_by_day.items()], now=now, max_age_days=None)


def page_for(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "style=" not in response.content.decode()  # the pages' CSP allows no style attributes
    return response.content.decode()


def table_rows(html: str) -> list[list[str]]:
    body = html.split("<table>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]  # past the head
    return [
        [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


@pytest.mark.django_db
def test_a_visitor_is_sent_to_sign_in_and_back():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"


@pytest.mark.django_db
def test_the_ring_streaks_totals_and_thirty_days_in_the_users_own_days():
    # 15:00 UTC is already the 26th in Seoul.
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    today = date(2026, 11, 26)
    user = make_user(timezone="Asia/Seoul", daily_goal=8_000)
    walked(user, {today: 6_000, today - timedelta(days=1): 9_000, today - timedelta(days=2): 8_000,
                  today - timedelta(days=4): 0}, now)  # fmt: skip
    with time_machine.travel(now, tick=False):
        html = page_for(user)

    assert 'role="img" aria-labelledby="ring-title ring-desc"' in html
    assert "6,000 of 8,000 steps (75%)." in html  # the ring's text alternative
    assert 'id="ring-percent">75%' in html
    assert "<dt>Current streak</dt><dd>2 days</dd>" in html  # not broken until today is over
    assert "<dt>Best streak</dt><dd>2 days</dd>" in html
    assert "<dt>This week</dt><dd>23,000 steps</dd>" in html  # Monday the 23rd through today
    assert "<dt>This month</dt><dd>23,000 steps</dd>" in html
    rows = table_rows(html)
    assert len(rows) == 30
    assert rows[0][1:] == ["6,000", "8,000", "no"]  # today first
    assert rows[1][1:] == ["9,000", "8,000", "yes"]
    assert rows[3][1:] == ["no data", "8,000", "\u2013"]  # nothing synced: a gap
    assert rows[4][1:] == ["0", "8,000", "no"]  # synced as 0: a zero, not a gap
    assert html.count('class="gap"') == 26
    assert "26 days have no data" in html


@pytest.mark.django_db
def test_each_day_keeps_the_goal_it_had_when_the_goal_changes():
    start = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    user = make_user(daily_goal=6_000)
    walked(user, {date(2026, 11, 9): 7_000}, start)
    user_update(user=user, daily_goal=10_000, now=start)  # from the 10th on
    walked(user, {date(2026, 11, 10): 7_000}, start)
    with time_machine.travel(start, tick=False):
        html = page_for(user)

    rows = table_rows(html)
    assert rows[0][1:] == ["7,000", "10,000", "no"]
    assert rows[1][1:] == ["7,000", "6,000", "yes"]
    path = re.search(r'class="goal-line" d="([^"]+)"', html).group(1)
    assert path.count("V") == 1  # one step up, where the goal changed
    assert "goal 10,000" in html


@pytest.mark.django_db
def test_the_page_speaks_korean():
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    user = make_user(language="ko")
    walked(user, {date(2026, 11, 25): 3_000}, now)
    with time_machine.travel(now, tick=False):
        html = page_for(user)
    assert '<html lang="ko">' in html
    with translation.override("ko"):
        assert translation.gettext("My steps") != "My steps"  # the catalogue is compiled
        assert f"<h1>{translation.gettext('My steps')}</h1>" in html


@pytest.mark.django_db
def test_the_demo_account_shows_every_feature_of_the_page():
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())  # twice: nothing doubles
        demo = User.objects.get(email=DEMO_EMAIL)
        html = page_for(demo)
    assert demo.check_password(DEMO_PASSWORD)
    assert "<dt>Current streak</dt><dd>5 days</dd>" in html
    path = re.search(r'class="goal-line" d="([^"]+)"', html).group(1)
    assert path.count("V") == 1  # the goal was raised inside the window
    assert html.count('class="gap"') == 4
    rows = table_rows(html)
    assert rows[21][1:] == ["0", "8,000", "no"]  # a zero is not a gap
