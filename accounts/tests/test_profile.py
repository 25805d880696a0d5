import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Device, Friendship, FriendshipStatus, User
from pedometer_site.tests.testing import PASSWORD, bearer_client, client_for, make_user, sign_in

ME = "/api/v1/me"


def make_device(user: User, token: str) -> Device:
    return Device.objects.create(user=user, token=token, platform="android")


@pytest.mark.django_db
def test_me_shows_the_profile():
    user = make_user(
        email="ada@example.com", display_name="Ada", timezone="Europe/Berlin", daily_goal=12_000,
        quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7),
    )  # fmt: skip

    response = client_for(user).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.uuid),
        "email": "ada@example.com",
        "display_name": "Ada",
        "timezone": "Europe/Berlin",
        "daily_goal": 12_000,
        "visibility": "public",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "language": "",
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "Ada the Walker"),
        ("display_name", "김하나 🚶"),
        ("timezone", "America/Argentina/Buenos_Aires"),
        ("daily_goal", 100),
        ("daily_goal", 100_000),
        ("visibility", "friends"),
        ("visibility", "private"),
        ("language", "ko"),
        ("language", "en"),
        ("language", ""),
    ],
)
def test_patch_me_changes_one_field(field, value):
    user = make_user()

    response = client_for(user).patch(ME, {field: value}, format="json")

    assert response.status_code == 200
    assert response.json()[field] == value
    user.refresh_from_db()
    assert getattr(user, field) == value


@pytest.mark.django_db
def test_patch_me_sets_quiet_hours():
    user = make_user()

    response = client_for(user).patch(ME, {"quiet_hours_start": "23:30", "quiet_hours_end": "06:00"}, format="json")

    assert response.status_code == 200
    assert (response.json()["quiet_hours_start"], response.json()["quiet_hours_end"]) == ("23:30", "06:00")
    user.refresh_from_db()
    assert (user.quiet_hours_start, user.quiet_hours_end) == (dt.time(23, 30), dt.time(6, 0))


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["fr", "ko-KR", "KO", None, 1])
def test_patch_me_refuses_a_language_we_do_not_speak(value):
    user = make_user(language="ko")

    response = client_for(user).patch(ME, {"language": value}, format="json")

    assert response.status_code == 400
    assert "language" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.language == "ko"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["25:00", "noon", 2200, None, "22:00:00", "22:00Z", "7:00"])
def test_patch_me_refuses_a_bad_quiet_hour(value):
    response = client_for(make_user()).patch(ME, {"quiet_hours_start": value}, format="json")

    assert response.status_code == 400
    assert "quiet_hours_start" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_patch_me_changes_several_fields_and_leaves_the_rest():
    user = make_user(display_name="Ada", timezone="UTC")

    response = client_for(user).patch(ME, {"timezone": "Asia/Seoul", "daily_goal": 7000}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.timezone, user.daily_goal) == ("Ada", "Asia/Seoul", 7000)


@pytest.mark.django_db
def test_an_empty_patch_changes_nothing():
    user = make_user(display_name="Ada")

    response = client_for(user).patch(ME, {}, format="json")

    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", ""),
        ("display_name", "   "),
        ("display_name", "x" * 65),
        ("display_name", None),
        ("display_name", ["Ada"]),
        ("timezone", "Mars/Base"),
        ("timezone", ""),
        ("timezone", "utc/../../etc/passwd"),
        ("timezone", 9),
        ("timezone", "localtime"),
        ("daily_goal", 99),
        ("daily_goal", 100_001),
        ("daily_goal", "lots"),
        ("daily_goal", 5000.5),
        ("daily_goal", True),
        ("visibility", "everyone"),
        ("visibility", None),
    ],
)
def test_patch_me_refuses_an_invalid_value_naming_the_field(field, value):
    user = make_user(display_name="Ada", timezone="UTC", daily_goal=10_000, visibility="public")

    response = client_for(user).patch(ME, {field: value}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    user.refresh_from_db()
    assert (user.display_name, user.timezone, user.daily_goal, user.visibility) == ("Ada", "UTC", 10_000, "public")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "new@example.com"),
        ("id", "00000000-0000-0000-0000-000000000000"),
        ("date_joined", "2020-01-01T00:00:00Z"),
        ("is_staff", True),
        ("password", "a-brand-new-passphrase"),
        ("firebase_uid", "fb-someone"),
    ],
)
def test_patch_me_refuses_read_only_fields(field, value):
    user = make_user(email="ada@example.com")
    before = User.objects.values().get(pk=user.pk)

    response = client_for(user).patch(ME, {field: value, "display_name": "Changed"}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert User.objects.values().get(pk=user.pk) == before


@pytest.mark.django_db
def test_put_on_me_is_not_allowed():
    response = client_for(make_user()).put(ME, {"display_name": "Ada"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_me_needs_a_signed_in_user(api, method):
    make_user()

    response = getattr(api, method)(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_delete_me_removes_the_account_and_everything_it_owns(api):
    user = make_user()
    friend, stranger = make_user(), make_user()
    make_device(user, "fcm-mine")
    make_device(friend, "fcm-friend")
    Friendship.objects.create(from_user=user, to_user=friend, status=FriendshipStatus.ACCEPTED)
    Friendship.objects.create(from_user=stranger, to_user=user)
    Friendship.objects.create(from_user=friend, to_user=stranger)
    tokens = sign_in(user)
    other_session = sign_in(user)
    assert api.post("/api/v1/auth/logout", {"refresh": other_session.refresh}, format="json").status_code == 204
    friend_tokens = sign_in(friend)

    response = bearer_client(tokens.access).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(Device.objects.values_list("token", flat=True)) == ["fcm-friend"]
    assert list(Friendship.objects.values_list("from_user", "to_user")) == [(friend.pk, stranger.pk)]
    assert not OutstandingToken.objects.filter(user__isnull=True).exists()
    assert set(OutstandingToken.objects.values_list("user", flat=True)) == {friend.pk}
    assert not BlacklistedToken.objects.exists()
    # And nothing it held opens anything any more.
    assert bearer_client(tokens.access).get(ME).status_code == 401
    refused = api.post("/api/v1/auth/refresh", {"refresh": tokens.refresh}, format="json")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert api.post("/api/v1/auth/login", {"email": user.email, "password": "x"}, format="json").status_code == 401
    # The others carry on.
    assert bearer_client(friend_tokens.access).get(ME).status_code == 200
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_a_deleted_accounts_refresh_token_leaves_no_trace_on_logout(api):
    user = make_user()
    tokens = sign_in(user)
    assert bearer_client(tokens.access).delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    response = api.post("/api/v1/auth/logout", {"refresh": tokens.refresh}, format="json")

    assert response.status_code == 401
    assert not OutstandingToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [None, {}, {"password": "not-it"}])
def test_deleting_the_account_asks_for_the_password(body):
    user = make_user()
    client = bearer_client(sign_in(user).access)

    response = client.delete(ME, body, format="json") if body is not None else client.delete(ME)

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"password"}
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_a_firebase_only_account_is_deleted_only_after_a_recent_sign_in():
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    user = make_user(password=None, firebase_uid="fb-1")
    with time_machine.travel(start, tick=False):
        old = sign_in(user)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        refreshed = bearer_client(old.access)  # noqa: F841 - the old access token has expired by now
        rotated = APIClient().post("/api/v1/auth/refresh", {"refresh": old.refresh}, format="json").json()
        stale = bearer_client(rotated["access"]).delete(ME)  # a rotation is not a sign-in
        assert stale.status_code == 403
        assert stale.json()["error"]["code"] == "recent_sign_in_required"
        assert bearer_client(sign_in(user).access).delete(ME).status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
