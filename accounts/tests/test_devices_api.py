"""/api/v1/devices: register or refresh an FCM token, list my devices, delete one."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Device
from pedometer_site.tests.testing import client_for, make_user

URL = "/api/v1/devices"
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# Access tokens live 15 minutes: a client is made inside each time travel.

pytestmark = pytest.mark.django_db


def register(client, **body):
    body.setdefault("token", "fcm-token-a")
    body.setdefault("platform", "ios")
    return client.post(URL, body, format="json")


def test_registering_a_token_returns_the_device_under_its_public_id():
    user = make_user(password=None)
    with time_machine.travel(T0, tick=False):
        response = register(client_for(user), token="tok-1", platform="android", app_version="2.3.0", locale="ko-KR")

    assert response.status_code == 201
    body = response.json()
    device = Device.objects.get(token="tok-1")
    assert body == {
        "id": str(device.uuid),
        "token": "tok-1",
        "platform": "android",
        "app_version": "2.3.0",
        "locale": "ko-KR",
        "is_active": True,
        "created_at": "2026-11-25T08:00:00Z",
        "last_seen_at": "2026-11-25T08:00:00Z",
    }
    assert device.user == user
    assert body["id"] != str(device.pk)


def test_a_new_device_without_a_locale_gets_english():
    response = register(client_for(make_user(password=None)))
    assert response.json()["locale"] == "en"


def test_registering_again_refreshes_the_same_device_and_reactivates_it():
    user = make_user(password=None)
    with time_machine.travel(T0, tick=False):
        first = register(client_for(user), locale="ko-KR", app_version="1.0").json()
    Device.objects.filter(uuid=first["id"]).update(is_active=False, deactivated_reason="fcm: UnregisteredError")

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        response = register(client_for(user), app_version="1.1")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first["id"]
    assert (body["app_version"], body["locale"], body["is_active"]) == ("1.1", "ko-KR", True)
    assert body["created_at"] == "2026-11-25T08:00:00Z"
    assert body["last_seen_at"] == "2026-11-27T08:00:00Z"
    assert Device.objects.get(uuid=first["id"]).deactivated_reason == ""
    assert Device.objects.count() == 1


def test_a_token_registered_by_another_account_moves_to_mine_with_a_new_id():
    before, after = make_user(password=None), make_user(password=None)
    old = register(client_for(before), token="shared-phone").json()

    response = register(client_for(after), token="shared-phone", platform="android")

    assert response.status_code == 201
    assert response.json()["id"] != old["id"]
    assert Device.objects.get(token="shared-phone").user == after
    assert client_for(before).get(URL).json() == []
    assert [d["id"] for d in client_for(after).get(URL).json()] == [response.json()["id"]]
    assert client_for(before).delete(f"{URL}/{old['id']}").status_code == 404


def test_i_list_only_my_devices_the_most_recently_seen_first():
    me, other = make_user(password=None), make_user(password=None)
    with time_machine.travel(T0):
        register(client_for(me), token="old-phone")
    with time_machine.travel(T0 + timedelta(hours=1)):
        register(client_for(me), token="new-phone")
    register(client_for(other), token="not-mine")

    response = client_for(me).get(URL)

    assert response.status_code == 200
    assert [device["token"] for device in response.json()] == ["new-phone", "old-phone"]


def test_i_can_delete_my_device():
    user = make_user(password=None)
    client = client_for(user)
    device = register(client).json()

    response = client.delete(f"{URL}/{device['id']}")

    assert response.status_code == 204
    assert not Device.objects.exists()


def test_deleting_someone_elses_device_is_not_found_and_keeps_it():
    owner, intruder = make_user(password=None), make_user(password=None)
    device = register(client_for(owner)).json()

    response = client_for(intruder).delete(f"{URL}/{device['id']}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Device.objects.filter(uuid=device["id"]).exists()


def test_deleting_an_unknown_or_integer_id_is_not_found():
    user = make_user(password=None)
    device = Device.objects.create(user=user, token="t", platform="web")
    client = client_for(user)
    assert client.delete(f"{URL}/{uuid.uuid4()}").status_code == 404
    assert client.delete(f"{URL}/{device.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "symbian"}, "platform"),
        ({"locale": "not a locale"}, "locale"),
        ({"locale": "x" * 17}, "locale"),
        ({"token": ""}, "token"),
        ({"token": "t" * 256}, "token"),
        ({"app_version": "9" * 33}, "app_version"),
        ({"user": "someone-else"}, "user"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(body, field):
    response = register(client_for(make_user(password=None)), **body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not Device.objects.exists()


def test_devices_need_a_signed_in_user(api):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"token": "t", "platform": "ios"}, format="json").status_code == 401
    assert api.delete(f"{URL}/{uuid.uuid4()}").status_code == 401


def test_the_schema_documents_the_devices_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    assert set(schema["paths"]["/api/v1/devices"]) >= {"get", "post"}
    post = schema["paths"]["/api/v1/devices"]["post"]
    assert {"200", "201", "400", "401"} <= set(post["responses"])
    delete = schema["paths"]["/api/v1/devices/{device_id}"]["delete"]
    assert {"204", "404"} <= set(delete["responses"])
