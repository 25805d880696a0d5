"""The challenge pages: the running list, a board with teams and summary, final results; the leaderboard links here."""

import pytest
from django.test import Client
from django.utils import timezone

from challenges import services
from challenges.models import Kind
from pedometer_site.tests.testing import make_user

from .builders import days_ago, started, team, walk

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_leaderboard_page_links_to_the_challenges():
    assert 'href="/challenges/"' in browser().get("/").content.decode()


def test_the_list_shows_running_challenges_and_apart_the_final_results():
    ada = make_user()
    running = started(Kind.STREAK, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2))
    final = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    page = browser(ada).get("/challenges/").content.decode()
    running_part, final_part = page.split('id="final-challenges"')
    assert f'href="/challenges/{running.pk}/"' in running_part
    assert f'href="/challenges/{final.pk}/"' not in running_part
    assert f'href="/challenges/{final.pk}/"' in final_part


def test_a_team_challenge_page_shows_teams_and_people_live():
    a, b = make_user(display_name="Ann"), make_user(display_name="Ben")
    challenge = started(Kind.TEAM, creator=a, starts_on=days_ago(2), ends_on=days_ago(-2))
    team(challenge, "Reds", a)
    team(challenge, "Blues", b)
    walk(a, 4_321, days_ago(1))
    page = browser(a).get(f"/challenges/{challenge.pk}/").content.decode()
    assert 'id="teams"' in page and "Reds" in page and "Blues" in page
    assert "4,321" in page and 'class="me"' in page and 'data-live="1"' in page
    assert "challenge.js" in page


def test_a_group_target_page_shows_progress():
    ada = make_user()
    challenge = started(Kind.GROUP_TARGET, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), target=10_000)
    walk(ada, 2_500, days_ago(1))
    page = browser(ada).get(f"/challenges/{challenge.pk}/").content.decode()
    assert "2,500</strong> of 10,000" in page and "25.0%" in page


def test_a_final_page_shows_the_frozen_results_and_is_not_live():
    ada = make_user(display_name="Ada")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    walk(ada, 3_000, days_ago(9))
    page = browser(ada).get(f"/challenges/{challenge.pk}/").content.decode()
    assert "Final results" in page and "3,000" in page and 'data-live=""' in page


def test_someone_elses_private_group_challenge_is_a_404_page():
    owner = make_user()
    group = services.group_create(user=owner, name="Family", visibility="private", now=timezone.now())
    challenge = started(Kind.TOTAL, creator=owner, starts_on=days_ago(1), ends_on=days_ago(-2), group=group)
    assert browser(make_user()).get(f"/challenges/{challenge.pk}/").status_code == 404
    assert browser().get(f"/challenges/{challenge.pk}/").status_code == 404
    assert browser(owner).get(f"/challenges/{challenge.pk}/").status_code == 200


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["<h1>Challenges</h1>", "Running (provisional)", ">Rank<", ">Team<", "Nobody has joined yet."]),
    ("ko", ["<h1>챌린지</h1>", "진행 중 (잠정 순위)", ">순위<", ">팀<", "아직 아무도 참가하지 않았어요."]),
])  # fmt: skip
def test_the_challenge_pages_speak_the_visitors_language(language, words):
    ada = make_user(language=language)
    challenge = started(Kind.TEAM, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2))
    services.team_create(user=ada, challenge=challenge, name="Blue", now=timezone.now())
    pages = (
        browser(ada).get("/challenges/").content.decode()
        + browser(ada).get(f"/challenges/{challenge.pk}/").content.decode()
    )
    missing = [word for word in words if word not in pages]
    assert not missing
