import pytest

from pedometer_site.tests.testing import PASSWORD, bearer_client, make_user, sign_in

URL = "/api/v1/me/password"
NEW = "a-brand-new-and-long-passphrase"


def change(client, old, new):
    return client.post(URL, {"old_password": old, "new_password": new}, format="json")


def login(api, email, password):
    return api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


@pytest.mark.django_db
def test_a_wrong_old_password_is_refused(api):
    user = make_user(email="ada@example.com")

    response = change(bearer_client(sign_in(user).access), "not-my-password", NEW)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["old_password"]
    assert login(api, "ada@example.com", PASSWORD).status_code == 200
    assert login(api, "ada@example.com", NEW).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("weak", ["short", "password", "98765432109876", "ada@example.com"])
def test_a_weak_new_password_is_refused(api, weak):
    user = make_user(email="ada@example.com")

    response = change(bearer_client(sign_in(user).access), PASSWORD, weak)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["new_password"]
    assert login(api, "ada@example.com", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_changing_the_password_returns_a_new_pair_and_signs_out_every_other_session(api):
    user = make_user(email="ada@example.com")
    here, elsewhere = sign_in(user), sign_in(user)

    response = change(bearer_client(here.access), PASSWORD, NEW)

    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    for old in (here, elsewhere):
        refused = api.post("/api/v1/auth/refresh", {"refresh": old.refresh}, format="json")
        assert refused.status_code == 401
        assert bearer_client(old.access).get("/api/v1/me").status_code == 401
    assert bearer_client(fresh["access"]).get("/api/v1/me").status_code == 200
    assert api.post("/api/v1/auth/refresh", {"refresh": fresh["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_the_new_password_logs_in_and_the_old_one_does_not(api):
    user = make_user(email="ada@example.com")

    assert change(bearer_client(sign_in(user).access), PASSWORD, NEW).status_code == 200

    assert login(api, "ada@example.com", NEW).status_code == 200
    assert login(api, "ada@example.com", PASSWORD).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"old_password": PASSWORD}, {"new_password": NEW}])
def test_password_change_names_what_is_missing(body):
    response = bearer_client(sign_in(make_user()).access).post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"old_password", "new_password"} - set(body)


@pytest.mark.django_db
def test_password_change_needs_a_signed_in_user(api):
    response = change(api, PASSWORD, NEW)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
