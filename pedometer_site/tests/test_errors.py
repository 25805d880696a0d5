"""Every API error has one shape, {"error": {"code", "message", "fields"?}},
and no input, however odd, gets a 500."""

import json

import pytest
from django.test import override_settings

from accounts.models import User
from pedometer_site.tests.testing import client_for, make_user

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
ME = "/api/v1/me"


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "fields", "retry_after"}
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def post_raw(client, url, raw: str | bytes, content_type="application/json"):
    return client.generic("POST", url, raw, content_type=content_type)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"email": ',
        "{'email': 'single@quotes.com'}",
        '{"email": "a@b.c",}',
        "not json at all",
        '{"daily_goal": NaN}',
        '{"daily_goal": Infinity}',
        b'{"email": "\xff\xfe"}',
        "[" * 100_000,
        '{"a":' * 100_000,
        '{"email": "ada@example.com", "password": "' + "\\ud800" + '"}',
        '{"daily_goal": ' + "9" * 5000 + "}",
    ],
    ids=[
        "truncated",
        "single-quotes",
        "trailing-comma",
        "not-json",
        "nan",
        "infinity",
        "invalid-utf8",
        "deep-list",
        "deep-object",
        "lone-surrogate",
        "5000-digit-number",
    ],
)
def test_malformed_json_is_400_malformed_request(api, raw):
    for url in (LOGIN, REGISTER):
        error = assert_error_shape(post_raw(api, url, raw), 400, "malformed_request")
        assert "fields" not in error
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["[]", '["ada@example.com", "pw"]', '"a string"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_400(api, raw):
    for url in (LOGIN, REGISTER):
        error = assert_error_shape(post_raw(api, url, raw), 400, "validation_error")
        assert error["fields"]["non_field_errors"]
    error = assert_error_shape(client_for(make_user()).generic("PATCH", ME, raw, content_type="application/json"), 400)
    assert error["code"] == "validation_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", {"$ne": None}),
        ("email", ["ada@example.com"]),
        ("email", 12),
        ("password", {"a": 1}),
        ("display_name", {"first": "Ada"}),
        ("display_name", "Ada\u0000Lovelace"),
        ("timezone", ["UTC"]),
        ("daily_goal", "ten thousand"),
        ("daily_goal", [10_000]),
        ("daily_goal", {"value": 10_000}),
        ("daily_goal", None),
        ("daily_goal", 10**100),
        ("daily_goal", -(10**100)),
        ("daily_goal", 1e308),
        ("daily_goal", 12.5),
    ],
)
def test_a_wrong_type_or_huge_number_is_400_naming_the_field(api, field, value):
    body = {"email": "ada@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "Ada"}
    body[field] = value

    error = assert_error_shape(api.post(REGISTER, body, format="json"), 400, "validation_error")

    assert list(error["fields"]) == [field]
    assert isinstance(error["fields"][field][0], str)
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['{"daily_goal": 1e999}', '{"daily_goal": -1e999}', '{"daily_goal": 1e-999}'])
def test_out_of_range_float_literals_are_400(raw):
    user = make_user(daily_goal=10_000)

    assert_error_shape(client_for(user).generic("PATCH", ME, raw, content_type="application/json"), 400)

    user.refresh_from_db()
    assert user.daily_goal == 10_000


@pytest.mark.django_db
def test_an_unknown_field_is_named(api):
    response = api.post(LOGIN, {"email": "ada@example.com", "password": "x", "remember_me": True}, format="json")

    error = assert_error_shape(response, 400, "validation_error")
    assert error["fields"] == {"remember_me": ["Unknown field."]}
    assert error["message"] == "Invalid input in: remember_me."


@pytest.mark.django_db
def test_a_validation_error_names_every_bad_field():
    response = client_for(make_user()).patch(ME, {"timezone": "Mars/Base", "daily_goal": 5}, format="json")

    error = assert_error_shape(response, 400, "validation_error")
    assert error["fields"]["timezone"] == ["Unknown time zone 'Mars/Base'."]
    assert set(error["fields"]) == {"timezone", "daily_goal"}
    assert error["message"] == "Invalid input in: daily_goal, timezone."


@pytest.mark.django_db
def test_a_form_encoded_body_is_415(api):
    response = api.post(LOGIN, {"email": "ada@example.com", "password": "x"})  # multipart by default

    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_an_empty_body_names_the_required_fields(api):
    error = assert_error_shape(post_raw(api, LOGIN, ""), 400, "validation_error")

    assert set(error["fields"]) == {"email", "password"}


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_size_limit_is_413(api):
    raw = json.dumps({"email": "ada@example.com", "password": "x" * 20_000})

    assert_error_shape(post_raw(api, LOGIN, raw), 413, "request_too_large")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/v1/me/", "/api/v2/me", "/api/v1/auth/login/"])
def test_an_unknown_api_path_is_a_json_404(api, path):
    assert_error_shape(api.get(path), 404, "not_found")
    assert_error_shape(api.post(path, {}, format="json"), 404, "not_found")


@pytest.mark.django_db
def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LOGIN),
        ("put", REGISTER),
        ("delete", "/api/v1/auth/refresh"),
        ("get", "/api/v1/auth/firebase"),
        ("get", "/api/v1/auth/logout"),
    ],
)
def test_a_wrong_method_is_405(api, method, path):
    error = assert_error_shape(getattr(api, method)(path), 405, "method_not_allowed")

    assert method.upper() in error["message"]


@pytest.mark.django_db
def test_a_wrong_method_on_a_signed_in_endpoint_is_405():
    assert_error_shape(client_for(make_user()).post(ME, {}, format="json"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_a_domain_conflict_uses_the_same_shape(api):
    make_user(email="ada@example.com")
    body = {"email": "ada@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "Ada"}

    error = assert_error_shape(api.post(REGISTER, body, format="json"), 409, "conflict")

    assert error["fields"] == {"email": ["Already registered."]}
