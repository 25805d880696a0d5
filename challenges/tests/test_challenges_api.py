"""/api/v1/challenges: create, list by state, join, leave, teams, boards; each bad input a 4xx, nothing stored."""

from datetime import timedelta

import pytest

from challenges.models import Challenge, Kind, Participant, Team
from pedometer_site.tests.testing import client_for, make_user

from .builders import TODAY, days_ago, started, walk

pytestmark = pytest.mark.django_db


def valid(**fields) -> dict:
    return {
        "name": "December walk",
        "kind": "total",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + timedelta(days=6)).isoformat(),
        **fields,
    }


def create(user, **fields):
    return client_for(user).post("/api/v1/challenges", valid(**fields), format="json")


def test_creating_a_challenge_joins_its_creator():
    ada = make_user()
    response = create(ada)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["joined"], body["daily_cap"], body["participant_count"]) == (
        "running", True, 30_000, 1
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": (TODAY - timedelta(days=1)).isoformat()}, "ends_on"),
        ({"ends_on": (TODAY + timedelta(days=366)).isoformat()}, "ends_on"),
        ({"starts_on": (TODAY - timedelta(days=2)).isoformat()}, "starts_on"),
        ({"daily_cap": 999}, "daily_cap"),
        ({"daily_cap": 100_001}, "daily_cap"),
        ({"kind": "group_target"}, "target"),
        ({"kind": "relay"}, "kind"),
        ({"team_scoring": "average"}, "team_scoring"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_challenge_input_is_a_400_naming_the_field_and_stores_nothing(fields, field):
    response = create(make_user(), **fields)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Challenge.objects.exists()


def test_366_days_is_allowed():
    assert create(make_user(), ends_on=(TODAY + timedelta(days=365)).isoformat()).status_code == 201


def test_someone_elses_private_group_is_a_404():
    owner = make_user()
    group = client_for(owner).post("/api/v1/groups", {"name": "Family"}, format="json").json()
    response = create(make_user(), group=group["id"])
    assert response.status_code == 404 and not Challenge.objects.exists()


def test_a_group_challenge_is_for_its_members_and_hidden_from_others():
    owner, member, outsider = make_user(), make_user(), make_user()
    group = client_for(owner).post("/api/v1/groups", {"name": "Family"}, format="json").json()
    client_for(member).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    challenge = create(owner, group=group["id"]).json()
    assert client_for(member).post(f"/api/v1/challenges/{challenge['id']}/join").status_code == 201
    assert client_for(outsider).get(f"/api/v1/challenges/{challenge['id']}").status_code == 404
    assert client_for(outsider).post(f"/api/v1/challenges/{challenge['id']}/join").status_code == 404


def test_joining_twice_is_a_409():
    ada = make_user()
    challenge = create(ada).json()
    response = client_for(ada).post(f"/api/v1/challenges/{challenge['id']}/join")
    assert response.status_code == 409 and Participant.objects.count() == 1


def test_joining_or_leaving_a_final_challenge_is_a_409():
    ada, bo = make_user(), make_user()
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    assert client_for(bo).post(f"/api/v1/challenges/{challenge.pk}/join").status_code == 409
    assert client_for(ada).post(f"/api/v1/challenges/{challenge.pk}/leave").status_code == 409
    assert Participant.objects.filter(challenge=challenge).count() == 1


def test_leaving_a_running_challenge():
    ada = make_user()
    challenge = create(ada).json()
    assert client_for(ada).post(f"/api/v1/challenges/{challenge['id']}/leave").status_code == 204
    assert client_for(ada).post(f"/api/v1/challenges/{challenge['id']}/leave").status_code == 409


def test_a_head_to_head_refuses_a_third_person():
    ada, bo, chen = make_user(), make_user(), make_user()
    challenge = create(ada, kind="head_to_head", opponent=str(bo.uuid)).json()
    assert client_for(bo).post(f"/api/v1/challenges/{challenge['id']}/join").status_code == 201
    response = client_for(chen).post(f"/api/v1/challenges/{challenge['id']}/join")
    assert response.status_code == 409 and Participant.objects.count() == 2


def test_an_open_head_to_head_takes_the_first_to_join_only():
    ada, bo, chen = make_user(), make_user(), make_user()
    challenge = create(ada, kind="head_to_head").json()
    assert client_for(bo).post(f"/api/v1/challenges/{challenge['id']}/join").status_code == 201
    assert client_for(chen).post(f"/api/v1/challenges/{challenge['id']}/join").status_code == 409


def test_teams_one_per_person_and_a_full_team_is_a_409():
    ada, bo, chen = make_user(), make_user(), make_user()
    challenge = create(ada, kind="team", team_size_cap=1).json()
    url = f"/api/v1/challenges/{challenge['id']}"
    reds = client_for(ada).post(f"{url}/teams", {"name": "Reds"}, format="json").json()
    blues = client_for(ada).post(f"{url}/teams", {"name": "Blues"}, format="json").json()
    assert client_for(ada).post(f"{url}/join", {"team": reds["id"]}, format="json").status_code == 201
    assert client_for(ada).post(f"{url}/join", {"team": blues["id"]}, format="json").status_code == 409
    full = client_for(bo).post(f"{url}/join", {"team": reds["id"]}, format="json")
    assert full.status_code == 409 and "full" in full.json()["error"]["message"]
    assert client_for(chen).post(f"{url}/join", format="json").status_code == 400  # a team challenge needs a team
    assert client_for(bo).post(f"{url}/join", {"team": blues["id"]}, format="json").status_code == 201
    sizes = {t["name"]: t["size"] for t in client_for(chen).get(f"{url}/teams").json()}
    assert sizes == {"Reds": 1, "Blues": 1}


def test_a_team_in_a_solo_challenge_is_refused():
    ada = make_user()
    challenge = create(ada).json()
    response = client_for(ada).post(f"/api/v1/challenges/{challenge['id']}/teams", {"name": "Reds"}, format="json")
    assert response.status_code == 409 and not Team.objects.exists()


def test_list_by_state():
    ada = make_user()
    running = create(ada).json()
    upcoming = create(
        ada, starts_on=(TODAY + timedelta(days=3)).isoformat(), ends_on=(TODAY + timedelta(days=9)).isoformat()
    )
    final = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    grace = started(Kind.TOTAL, creator=ada, starts_on=days_ago(6), ends_on=days_ago(2))

    def ids(state):
        return [c["id"] for c in client_for(ada).get("/api/v1/challenges", {"state": state}).json()["challenges"]]

    assert ids("running") == [running["id"]]
    assert ids("upcoming") == [upcoming.json()["id"]]
    assert ids("grace") == [grace.pk]
    assert ids("final") == [final.pk]
    assert client_for(ada).get("/api/v1/challenges", {"state": "over"}).status_code == 400


def test_the_leaderboard_pages_people_and_teams_and_says_where_i_am():
    ada, bo, chen = make_user(display_name="Ada"), make_user(display_name="Bo"), make_user(display_name="Chen")
    challenge = started(Kind.TEAM, creator=ada, starts_on=days_ago(3), ends_on=days_ago(-3))
    url = f"/api/v1/challenges/{challenge.pk}"
    reds = client_for(ada).post(f"{url}/teams", {"name": "Reds"}, format="json").json()["id"]
    blues = client_for(ada).post(f"{url}/teams", {"name": "Blues"}, format="json").json()["id"]
    for user, team in ((ada, reds), (bo, reds), (chen, blues)):
        client_for(user).post(f"{url}/join", {"team": team}, format="json")
    walk(ada, 3_000, days_ago(1))
    walk(bo, 4_000, days_ago(1))
    walk(chen, 5_000, days_ago(1))
    people = client_for(bo).get(f"{url}/leaderboard", {"limit": 1, "offset": 1}).json()
    assert people["count"] == 3 and [e["name"] for e in people["entries"]] == ["Bo"]
    assert people["me"] == {"rank": 2, "score": 4_000, "team": reds}
    teams = client_for(bo).get(f"{url}/leaderboard", {"scope": "teams"}).json()
    assert [(e["name"], e["score"]) for e in teams["entries"]] == [("Reds", 7_000), ("Blues", 5_000)]
    assert teams["me"]["rank"] == 1
    assert client_for(bo).get(f"{url}/leaderboard", {"scope": "groups"}).status_code == 400
    assert client_for(bo).get(f"{url}/leaderboard", {"limit": 0}).status_code == 400


def test_members_see_each_others_names_whatever_their_visibility():
    ada, hidden = make_user(display_name="Ada"), make_user(display_name="Hidden", visibility="private")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[hidden])
    walk(hidden, 1_000, days_ago(1))
    names = [e["name"] for e in client_for(ada).get(f"/api/v1/challenges/{challenge.pk}/leaderboard").json()["entries"]]
    assert names == ["Hidden", "Ada"]


def test_results_are_a_409_until_final_then_the_frozen_table():
    ada = make_user(display_name="Ada")
    running = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2))
    response = client_for(ada).get(f"/api/v1/challenges/{running.pk}/results")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_final"
    final = started(Kind.TOTAL, creator=ada, starts_on=days_ago(12), ends_on=days_ago(8))
    walk(ada, 2_000, days_ago(9))
    body = client_for(ada).get(f"/api/v1/challenges/{final.pk}/results").json()
    assert body["final"] is True and body["entries"][0]["score"] == 2_000 and body["me"]["rank"] == 1


def test_a_missing_challenge_is_a_404():
    assert client_for(make_user()).get("/api/v1/challenges/999999").status_code == 404
