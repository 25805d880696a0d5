import datetime as dt

import jwt
import pytest
import time_machine

from pedometer_site.tests.testing import bearer_client, make_user, sign_in, unverified_claims

ME = "/api/v1/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def refresh(api, token):
    return api.post(REFRESH, {"refresh": token}, format="json")


def logout(api, token):
    return api.post(LOGOUT, {"refresh": token}, format="json")


@pytest.mark.django_db
def test_an_access_token_opens_the_profile(api):
    user = make_user()

    response = bearer_client(sign_in(user).access).get(ME)

    assert response.status_code == 200
    assert response.json()["id"] == str(user.uuid)


@pytest.mark.django_db
def test_the_profile_without_a_token_is_401_in_the_error_shape(api):
    response = api.get(ME)

    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_refresh_returns_a_new_working_pair(api):
    user = make_user()
    old = sign_in(user)

    response = refresh(api, old.refresh)

    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != old.refresh
    assert bearer_client(new["access"]).get(ME).json()["id"] == str(user.uuid)
    assert refresh(api, new["refresh"]).status_code == 200


@pytest.mark.django_db
def test_a_used_refresh_token_is_refused(api):
    old = sign_in(make_user())
    assert refresh(api, old.refresh).status_code == 200

    again = refresh(api, old.refresh)

    assert again.status_code == 401
    assert again.json()["error"]["code"] == "authentication_failed"
    assert "access" not in again.json()


@pytest.mark.django_db
def test_logout_ends_that_refresh_token(api):
    tokens = sign_in(make_user())

    response = logout(api, tokens.refresh)

    assert response.status_code == 204
    assert response.content == b""
    assert refresh(api, tokens.refresh).status_code == 401
    assert logout(api, tokens.refresh).status_code == 401


@pytest.mark.django_db
def test_logout_leaves_other_sessions_signed_in(api):
    user = make_user()
    phone, tablet = sign_in(user), sign_in(user)

    assert logout(api, phone.refresh).status_code == 204

    assert refresh(api, tablet.refresh).status_code == 200


@pytest.mark.django_db
def test_an_access_token_is_no_refresh_token(api):
    tokens = sign_in(make_user())

    response = refresh(api, tokens.access)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "Bearer", "eyJhbGciOiJIUzI1NiJ9.e30.x" * 3])
def test_a_garbage_access_token_is_401_in_the_error_shape(garbage):
    response = bearer_client(garbage).get(ME)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_not_valid"
    assert isinstance(error["message"], str)
    assert error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", ""])
def test_a_garbage_refresh_token_is_refused(api, garbage):
    response = refresh(api, garbage)

    assert response.status_code in (400, 401)
    assert response.json()["error"]["code"] in ("validation_error", "authentication_failed")


@pytest.mark.django_db
def test_a_token_signed_with_another_key_is_refused():
    genuine = sign_in(make_user()).access
    forged = jwt.encode(unverified_claims(genuine), "some-other-secret-that-is-long-enough-0123", algorithm="HS256")

    assert bearer_client(genuine).get(ME).status_code == 200
    assert bearer_client(forged).get(ME).status_code == 401


@pytest.mark.django_db
def test_an_expired_access_token_is_401(api):
    user = make_user()
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        access = sign_in(user).access
        assert bearer_client(access).get(ME).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 16, tzinfo=dt.UTC), tick=False):
        response = bearer_client(access).get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


@pytest.mark.django_db
def test_an_expired_refresh_token_is_refused(api):
    user = make_user()
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        tokens = sign_in(user)
    with time_machine.travel(dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        response = refresh(api, tokens.refresh)

    assert response.status_code == 401


@pytest.mark.django_db
def test_a_deactivated_user_loses_both_tokens(api):
    user = make_user()
    tokens = sign_in(user)
    user.is_active = False
    user.save()

    assert bearer_client(tokens.access).get(ME).status_code == 401
    assert refresh(api, tokens.refresh).status_code == 401
