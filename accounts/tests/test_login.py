import pytest

from pedometer_site.tests.testing import PASSWORD, bearer_client, make_user

URL = "/api/v1/auth/login"


def login(api, email, password=PASSWORD):
    return api.post(URL, {"email": email, "password": password}, format="json")


@pytest.mark.django_db
def test_login_returns_the_user_and_a_working_token_pair(api):
    user = make_user(email="ada@example.com", display_name="Ada")

    response = login(api, "ada@example.com")

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == str(user.uuid)
    assert body["user"]["display_name"] == "Ada"
    assert bearer_client(body["access"]).get("/api/v1/me").json()["id"] == str(user.uuid)
    assert api.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_login_records_the_time_of_sign_in(api):
    user = make_user(email="ada@example.com")
    assert user.last_login is None

    login(api, "ada@example.com")

    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ADA@EXAMPLE.COM", "Ada@Example.com", "  ada@example.com  "])
def test_login_ignores_the_case_of_the_email(api, typed):
    user = make_user(email="ada@example.com")

    response = login(api, typed)

    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.uuid)


@pytest.mark.django_db
def test_wrong_password_and_unknown_email_get_the_same_401(api):
    make_user(email="ada@example.com")

    wrong_password = login(api, "ada@example.com", "not-the-password")
    unknown_email = login(api, "nobody@example.com")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json() == {
        "error": {"code": "authentication_failed", "message": "Email or password is wrong."}
    }
    assert "access" not in wrong_password.json()


@pytest.mark.django_db
def test_a_deactivated_user_cannot_log_in(api):
    user = make_user(email="ada@example.com")
    user.is_active = False
    user.save()

    response = login(api, "ada@example.com")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Email or password is wrong."


@pytest.mark.django_db
def test_a_firebase_only_account_cannot_log_in_with_a_password(api):
    make_user(email="ada@example.com", password=None, firebase_uid="fb-1")

    for guess in ("", "None", "!"):
        assert login(api, "ada@example.com", guess).status_code in (400, 401)
    assert login(api, "ada@example.com", "anything-at-all").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"email": "ada@example.com"}, {"password": PASSWORD}])
def test_login_names_what_is_missing(api, body):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert set(response.json()["error"]["fields"]) == {"email", "password"} - set(body)
