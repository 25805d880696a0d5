"""Staff tools: the re-finalise action (audited) and the organisers' CSV of frozen results."""

import pytest
from django.test import Client

from challenges.models import Finalisation, Kind
from pedometer_site.tests.testing import make_user

from .builders import days_ago, started, walk

pytestmark = pytest.mark.django_db


def staff_browser():
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def final_challenge():
    ada = make_user(display_name="=Ada")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    walk(ada, 4_000, days_ago(9))
    Client().get("/challenges/")  # the first read after the grace window freezes it
    return challenge


def test_staff_re_finalise_from_the_admin_is_audited():
    challenge = final_challenge()
    response = staff_browser().post(
        "/admin/challenges/challenge/", {"action": "refinalise", "_selected_action": [challenge.pk]}
    )
    assert response.status_code == 302
    assert list(Finalisation.objects.order_by("id").values_list("trigger", flat=True)) == ["read", "staff"]


def test_results_export_as_csv_with_formulas_defused():
    challenge = final_challenge()
    response = staff_browser().post(
        "/admin/challenges/challenge/", {"action": "export_results", "_selected_action": [challenge.pk]}
    )
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("challenge_id,challenge,scope,rank")
    assert "'=Ada" in lines[1] and ",4000.0," in lines[1]


@pytest.mark.parametrize("page", ["group", "challenge", "team", "participant", "result", "finalisation"])
def test_admin_pages_open(page):
    final_challenge()
    assert staff_browser().get(f"/admin/challenges/{page}/").status_code == 200
