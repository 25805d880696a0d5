import json

import pytest

from accounts.models import User
from pedometer_site.tests.testing import bearer_client, make_user, unverified_claims

URL = "/api/v1/auth/register"
STRONG = "a-long-and-unusual-passphrase"


def register(api, **overrides):
    body = {"email": "ada@example.com", "password": STRONG, "display_name": "Ada"}
    body.update(overrides)
    return api.post(URL, body, format="json")


@pytest.mark.django_db
def test_register_creates_the_account_and_signs_it_in(api):
    response = register(api, timezone="Asia/Seoul", daily_goal=8000)

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(email="ada@example.com")
    assert body["user"] == {
        "id": str(user.uuid),
        "email": "ada@example.com",
        "display_name": "Ada",
        "timezone": "Asia/Seoul",
        "daily_goal": 8000,
        "visibility": "public",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "language": "",
        "date_joined": body["user"]["date_joined"],
    }
    assert user.check_password(STRONG)
    me = bearer_client(body["access"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(user.uuid)
    assert api.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_register_defaults_timezone_goal_and_visibility(api):
    body = register(api).json()["user"]

    assert (body["timezone"], body["daily_goal"], body["visibility"]) == ("UTC", 10_000, "public")


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com"])
def test_register_refuses_an_email_already_taken_in_any_case(api, email):
    make_user(email="ada@example.com")

    response = register(api, email=email)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["fields"] == {"email": ["Already registered."]}
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", "ada@example.com"])
def test_register_refuses_a_weak_password_naming_the_field(api, password):
    response = register(api, password=password)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["password"]
    assert error["fields"]["password"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_refuses_an_unknown_time_zone(api):
    response = register(api, timezone="Mars/Base")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["timezone"] == ["Unknown time zone 'Mars/Base'."]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("goal", [99, 100_001, -1, 0])
def test_register_refuses_a_daily_goal_out_of_bounds(api, goal):
    response = register(api, daily_goal=goal)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["daily_goal"]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("goal", [100, 100_000])
def test_register_accepts_the_daily_goal_bounds(api, goal):
    response = register(api, daily_goal=goal)

    assert response.status_code == 201
    assert response.json()["user"]["daily_goal"] == goal


@pytest.mark.django_db
def test_register_refuses_an_unknown_field(api):
    response = register(api, is_staff=True)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"is_staff": ["Unknown field."]}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["email", "password", "display_name"])
def test_register_names_each_missing_required_field(api, missing):
    body = {"email": "ada@example.com", "password": STRONG, "display_name": "Ada"}
    del body[missing]

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [missing]


@pytest.mark.django_db
def test_register_refuses_a_malformed_email(api):
    response = register(api, email="not-an-email")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["email"]


@pytest.mark.django_db
def test_the_integer_key_never_leaves_the_server(api):
    # Push the integer key well away from anything else in the payload.
    User.objects.create(email="filler@example.com", display_name="Filler", id=987654320)
    response = register(api)
    user = User.objects.get(email="ada@example.com")
    assert user.pk == 987654321
    tokens = response.json()
    me = bearer_client(tokens["access"]).get("/api/v1/me")
    refreshed = api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")

    for payload in (
        response.json(),
        me.json(),
        refreshed.json(),
        unverified_claims(tokens["access"]),
        unverified_claims(tokens["refresh"]),
    ):
        assert "987654321" not in json.dumps(payload)
        assert "pk" not in payload
    assert unverified_claims(tokens["access"])["user_id"] == str(user.uuid)
