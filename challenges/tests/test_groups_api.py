"""/api/v1/groups: create with an invite code, join by it, members, roles."""

import pytest

from challenges.models import Membership, Role
from pedometer_site.tests.testing import client_for, make_user

pytestmark = pytest.mark.django_db


def create_group(owner, **body):
    response = client_for(owner).post("/api/v1/groups", {"name": "Office", **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_creator_owns_the_group_and_gets_an_invite_code():
    owner = make_user()
    group = create_group(owner, visibility="private")
    assert group["role"] == "owner" and len(group["code"]) == 8 and group["member_count"] == 1


def test_joining_by_code_lists_the_group_as_mine():
    owner, walker = make_user(), make_user()
    group = create_group(owner)
    response = client_for(walker).post("/api/v1/groups/join", {"code": group["code"].lower()}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "member"
    mine = client_for(walker).get("/api/v1/groups").json()["groups"]
    assert [g["id"] for g in mine] == [group["id"]]


def test_joining_twice_is_a_conflict():
    owner = make_user()
    group = create_group(owner)
    response = client_for(owner).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_an_unknown_code_is_not_found():
    response = client_for(make_user()).post("/api/v1/groups/join", {"code": "NOPE2345"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["fields"] == {"code": ["Unknown or rotated code."]}


def test_someone_elses_private_group_is_not_found():
    group = create_group(make_user(), visibility="private")
    response = client_for(make_user()).get(f"/api/v1/groups/{group['id']}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_public_group_is_seen_without_its_code():
    group = create_group(make_user(), visibility="public")
    body = client_for(make_user()).get(f"/api/v1/groups/{group['id']}").json()
    assert body["code"] is None and body["role"] is None and len(body["members"]) == 1


def test_members_are_paged():
    owner = make_user()
    group = create_group(owner)
    for _ in range(3):
        client_for(make_user()).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    body = client_for(owner).get(f"/api/v1/groups/{group['id']}", {"limit": 2, "offset": 2}).json()
    assert body["member_count"] == 4 and len(body["members"]) == 2 and body["offset"] == 2


def test_owner_removes_a_member_but_a_member_cannot():
    owner, a, b = make_user(), make_user(), make_user()
    group = create_group(owner)
    for walker in (a, b):
        client_for(walker).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    url = f"/api/v1/groups/{group['id']}/members/"
    assert client_for(a).delete(f"{url}{b.uuid}").status_code == 403
    assert client_for(owner).delete(f"{url}{b.uuid}").status_code == 204
    assert client_for(a).delete(f"{url}{a.uuid}").status_code == 204  # leaving
    assert client_for(owner).delete(f"{url}{owner.uuid}").status_code == 409
    assert list(Membership.objects.values_list("role", flat=True)) == [Role.OWNER]


def test_the_owner_makes_an_admin_who_may_then_remove_members():
    owner, admin, member = make_user(), make_user(), make_user()
    group = create_group(owner)
    for walker in (admin, member):
        client_for(walker).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    url = f"/api/v1/groups/{group['id']}/members/"
    refused = client_for(member).patch(f"{url}{admin.uuid}", {"role": "admin"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert client_for(owner).patch(f"{url}{admin.uuid}", {"role": "owner"}, format="json").status_code == 409
    bad = client_for(owner).patch(f"{url}{admin.uuid}", {"role": "boss"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["error"]["fields"]
    made = client_for(owner).patch(f"{url}{admin.uuid}", {"role": "admin"}, format="json")
    assert made.status_code == 200 and made.json()["role"] == "admin"
    assert client_for(admin).delete(f"{url}{member.uuid}").status_code == 204
    assert sorted(Membership.objects.values_list("role", flat=True)) == [Role.ADMIN, Role.OWNER]


def test_only_the_owner_rotates_the_code_and_the_old_one_stops_working():
    owner, member = make_user(), make_user()
    group = create_group(owner)
    client_for(member).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    assert client_for(member).post(f"/api/v1/groups/{group['id']}/code").status_code == 403
    rotated = client_for(owner).post(f"/api/v1/groups/{group['id']}/code").json()["code"]
    assert rotated != group["code"]
    late = client_for(make_user()).post("/api/v1/groups/join", {"code": group["code"]}, format="json")
    assert late.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 81}, {"name": "Office", "visibility": "secret"}, {"name": "O", "colour": "red"}],
)
def test_bad_group_input_is_a_400_and_stores_nothing(body):
    response = client_for(make_user()).post("/api/v1/groups", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert not Membership.objects.exists()


def test_signed_out_is_a_401():
    assert make_user() and client_for.__module__  # a user exists; nobody signs in
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/groups").status_code == 401
