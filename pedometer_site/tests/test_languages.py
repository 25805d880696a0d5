"""Korean and English: one rule everywhere (the user's ``language`` setting,
else ``Accept-Language``, else English). Messages change language; codes and
field names never do."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pedometer_site.tests.testing import client_for, make_user, signed_in, websocket

ME = "/api/v1/me"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
SYNC = "/api/v1/steps/sync"
BAD_GOAL = {"daily_goal": "lots"}
# Yesterday in UTC is a syncable day in every zone, whatever the real date.
SYNC_BODY = {"days": [{"date": (timezone.now() - timedelta(days=1)).date().isoformat(), "steps": 10}]}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:400]
    return response.json()["error"]


def korean(text: str) -> bool:
    return any("\uac00" <= char <= "\ud7a3" for char in text)


# --- the same bad request, in each language ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("how", "message", "field_message"),
    [
        ({"language": "ko"}, "입력이 올바르지 않은 항목: daily_goal.", "유효한 정수를 입력하세요."),
        ({"language": "en"}, "Invalid input in: daily_goal.", "A valid integer is required."),
        ({"accept": "ko-KR,ko;q=0.9"}, "입력이 올바르지 않은 항목: daily_goal.", "유효한 정수를 입력하세요."),
        ({"accept": "en-US,en;q=0.9"}, "Invalid input in: daily_goal.", "A valid integer is required."),
        ({}, "Invalid input in: daily_goal.", "A valid integer is required."),
    ],
    ids=["setting-ko", "setting-en", "header-ko", "header-en", "neither"],
)
def test_a_validation_error_speaks_the_chosen_language_with_the_same_code_and_fields(how, message, field_message):
    client = client_for(make_user(language=how.get("language", "")))
    headers = {"HTTP_ACCEPT_LANGUAGE": how["accept"]} if "accept" in how else {}
    error = error_of(client.patch(ME, BAD_GOAL, format="json", **headers), 400)
    assert error == {"code": "validation_error", "message": message, "fields": {"daily_goal": [field_message]}}


@pytest.mark.django_db
def test_the_users_setting_wins_over_the_browser():
    korean_user = client_for(make_user(language="ko"))
    english_user = client_for(make_user(language="en"))
    to_korean = korean_user.patch(ME, BAD_GOAL, format="json", HTTP_ACCEPT_LANGUAGE="en")
    to_english = english_user.patch(ME, BAD_GOAL, format="json", HTTP_ACCEPT_LANGUAGE="ko")
    assert korean(error_of(to_korean, 400)["message"])
    assert to_korean["Content-Language"] == "ko"
    assert error_of(to_english, 400)["message"] == "Invalid input in: daily_goal."
    assert to_english["Content-Language"] == "en"


@pytest.mark.django_db
def test_our_own_domain_messages_are_translated_too(api):
    # Registration is anonymous: only the header can choose.
    body = {"email": "ada@example.com", "password": "correct-horse-battery-staple", "display_name": "Ada"}
    assert api.post(REGISTER, body, format="json").status_code == 201
    en = error_of(api.post(REGISTER, body, format="json"), 409)
    ko = error_of(api.post(REGISTER, body, format="json", HTTP_ACCEPT_LANGUAGE="ko"), 409)
    assert en == {
        "code": "conflict",
        "message": "An account with this email already exists.",
        "fields": {"email": ["Already registered."]},
    }
    assert ko == {
        "code": "conflict",
        "message": "이 이메일로 가입한 계정이 이미 있어요.",
        "fields": {"email": ["이미 가입된 이메일이에요."]},
    }


@pytest.mark.django_db
def test_a_conflict_for_a_signed_in_user_follows_their_setting():
    asker, other = make_user(language="ko"), make_user()
    client = client_for(asker)
    url = "/api/v1/friends/requests"
    assert client.post(url, {"user_id": str(other.uuid)}, format="json").status_code == 201
    error = error_of(client.post(url, {"user_id": str(other.uuid)}, format="json", HTTP_ACCEPT_LANGUAGE="en"), 409)
    assert error == {"code": "already_requested", "message": "이미 요청을 보냈어요. 답을 기다리는 중이에요."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "code", "en", "ko"),
    [
        (
            {},
            "not_authenticated",
            "Authentication credentials were not provided.",
            "자격 인증 데이터가 제공되지 않았습니다.",
        ),
        (
            {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
            "token_not_valid",
            "Given token not valid for any token type",
            "이 토큰은 모든 타입의 토큰에 대해 유효하지 않습니다",
        ),
    ],
    ids=["no-token", "bad-token"],
)
def test_a_401_speaks_the_browsers_language(api, headers, code, en, ko):
    assert error_of(api.get(ME, **headers), 401) == {"code": code, "message": en}
    assert error_of(api.get(ME, HTTP_ACCEPT_LANGUAGE="ko", **headers), 401) == {"code": code, "message": ko}


@pytest.mark.django_db
def test_a_wrong_password_is_told_in_the_browsers_language(api):
    make_user(email="ada@example.com")
    body = {"email": "ada@example.com", "password": "not-it"}
    error = error_of(api.post(LOGIN, body, format="json", HTTP_ACCEPT_LANGUAGE="ko"), 401)
    assert error == {"code": "authentication_failed", "message": "이메일이나 비밀번호가 틀렸어요."}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/me", "/api/"])
def test_an_unknown_api_path_is_a_404_in_either_language(api, path):
    assert error_of(api.get(path), 404) == {"code": "not_found", "message": "Not found."}
    assert error_of(api.get(path, HTTP_ACCEPT_LANGUAGE="ko"), 404) == {
        "code": "not_found",
        "message": "찾을 수 없어요.",
    }


@pytest.mark.django_db
def test_a_404_of_ours_follows_the_users_setting():
    client = client_for(make_user(language="ko"))
    response = client.delete("/api/v1/devices/6f1c1d3e-1c1b-4f55-9a9e-0c2a4e0b1a11")
    assert error_of(response, 404) == {"code": "not_found", "message": "해당 기기가 없어요."}


@pytest.mark.django_db
def test_throttled_in_both_languages(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sync_user": "1/min"},
    }
    korean_client, english_client = client_for(make_user(language="ko")), client_for(make_user())
    for client in (korean_client, english_client):
        assert client.post(SYNC, SYNC_BODY, format="json").status_code == 200
    ko = korean_client.post(SYNC, SYNC_BODY, format="json")
    en = english_client.post(SYNC, SYNC_BODY, format="json")
    ko_error, en_error = error_of(ko, 429), error_of(en, 429)
    assert ko_error["code"] == en_error["code"] == "throttled"
    assert ko_error["message"] == f"요청이 너무 많아요. {ko['Retry-After']}초 후에 다시 시도해 주세요."
    assert en_error["message"] in {
        f"Request was throttled. Expected available in {en['Retry-After']} seconds.",
        "Request was throttled. Expected available in 1 second.",
    }


# --- headers no one should trust ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["*", "xx", "xx-YY, zz;q=0.5", "ko;q=abc", ";;;,,,", "k" * 10_000, "en;q=0.1, " * 1_000, "\x00ko", "kok"],
    ids=["star", "unknown", "unknowns", "bad-q", "punctuation", "10kb", "10kb-list", "nul", "konkani"],
)
def test_a_garbage_accept_language_gets_english_never_a_500(api, header):
    response = api.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE=header)
    assert error_of(response, 404)["message"] == "Not found."
    assert response["Content-Language"] == "en"
    signed = client_for(make_user()).patch(ME, BAD_GOAL, format="json", HTTP_ACCEPT_LANGUAGE=header)
    assert error_of(signed, 400)["message"] == "Invalid input in: daily_goal."


@pytest.mark.django_db
def test_korean_is_found_by_its_quality_among_others(api):
    response = api.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, ko;q=0.8, en;q=0.7")
    assert response["Content-Language"] == "ko"


@pytest.mark.django_db
def test_responses_say_their_language_and_that_it_depends_on_the_header(api, client):
    for response in (api.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="ko"), client.get("/healthz")):
        assert "Accept-Language" in response["Vary"]
        assert response["Content-Language"] in {"en", "ko"}


# --- no leaks between requests, no extra queries ------------------------------


@pytest.mark.django_db
def test_the_language_does_not_leak_from_one_request_to_the_next_on_the_same_thread(api):
    korean_client = client_for(make_user(language="ko"))
    plain_client = client_for(make_user())
    for _round in range(3):
        assert korean(error_of(korean_client.patch(ME, BAD_GOAL, format="json"), 400)["message"])
        assert error_of(plain_client.patch(ME, BAD_GOAL, format="json"), 400)["message"] == (
            "Invalid input in: daily_goal."
        )
        assert korean(error_of(api.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="ko"), 404)["message"])
        assert error_of(api.get("/api/v1/nope"), 404)["message"] == "Not found."
    korean_client.get(ME)
    # Whatever runs next on this thread, outside any request, speaks the default.
    assert translation.get_language() == "en"


@pytest.mark.django_db
def test_choosing_the_language_costs_no_query():
    """The user row simplejwt loads is the one the language is read from."""
    with_setting, without = client_for(make_user(language="ko")), client_for(make_user())
    counts = []
    for client in (with_setting, without):
        client.get(ME)  # warm: the first request of a process loads what it caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ME).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_a_page_reads_its_session_users_language_without_an_extra_query(client, settings):
    staff = make_user(language="ko", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.get("/admin/")
    with CaptureQueriesContext(connection) as with_language:
        response = client.get("/admin/")
    assert response["Content-Language"] == "ko"
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "infrastructure.i18n.LanguageMiddleware"]
    with CaptureQueriesContext(connection) as without_language:
        client.get("/admin/")
    assert len(with_language) == len(without_language)


# --- sockets -------------------------------------------------------------------


async def _error_on(socket) -> dict:
    await socket.send_to(text_data="not json")
    return await socket.receive_json_from()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "header", "message"),
    [
        ("ko", None, "메시지는 하나의 JSON 객체를 텍스트로 보내야 해요."),
        ("ko", "en", "메시지는 하나의 JSON 객체를 텍스트로 보내야 해요."),
        ("", "ko-KR,ko;q=0.9", "메시지는 하나의 JSON 객체를 텍스트로 보내야 해요."),
        ("", None, "Each message must be one JSON object, sent as text."),
        ("en", "ko", "Each message must be one JSON object, sent as text."),
        ("", "x" * 10_000, "Each message must be one JSON object, sent as text."),
    ],
    ids=["setting-ko", "setting-beats-header", "header-ko", "neither", "setting-en", "garbage-header"],
)
async def test_a_socket_error_speaks_the_chosen_language_with_the_same_code(language, header, message):
    _user, access = await signed_in(language=language)
    socket = websocket("/ws/steps/", token=access, accept_language=header)
    assert (await socket.connect())[0]
    assert await _error_on(socket) == {"type": "error", "code": "malformed_request", "message": message}
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_validation_error_is_translated_field_by_field():
    _user, access = await signed_in(language="ko")
    socket = websocket("/ws/steps/", token=access)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "steps", "date": "2026-11-25", "steps": "many"})
    answer = await socket.receive_json_from()
    assert answer["code"] == "validation_error"
    assert answer["fields"] == {"steps": ["유효한 정수를 입력하세요."]}
    assert answer["message"] == "입력이 올바르지 않은 항목: steps."
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_two_sockets_in_different_languages_interleaved_never_swap():
    """Each socket is its own asyncio task: one's language never reaches the other's."""
    (_k, korean_access), (_e, english_access) = await signed_in(language="ko"), await signed_in(language="en")
    korean_socket = websocket("/ws/steps/", token=korean_access)
    english_socket = websocket("/ws/steps/", token=english_access)
    assert (await korean_socket.connect())[0] and (await english_socket.connect())[0]
    for _round in range(3):
        korean_answer, english_answer = await asyncio.gather(_error_on(korean_socket), _error_on(english_socket))
        assert korean(korean_answer["message"])
        assert english_answer["message"] == "Each message must be one JSON object, sent as text."
    await korean_socket.disconnect()
    await english_socket.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/"])
def test_an_unknown_api_path_with_debug_on_is_a_404_in_either_language_too(api, settings, path):
    settings.DEBUG = True  # Django's technical page, turned into the JSON shape outside the language's middleware
    ko = api.get(path, HTTP_ACCEPT_LANGUAGE="ko")
    assert error_of(ko, 404) == {"code": "not_found", "message": "찾을 수 없어요."}
    assert ko["Content-Language"] == "ko"
    assert "Accept-Language" in ko["Vary"]
    assert error_of(api.get(path), 404) == {"code": "not_found", "message": "Not found."}


@pytest.mark.django_db
def test_a_page_with_a_session_while_the_database_is_down_is_a_503_not_a_500(client, monkeypatch):
    from django.contrib.auth import middleware as auth_middleware
    from django.db import OperationalError

    client.force_login(make_user(language="ko", is_staff=True))

    def database_down(request):
        raise OperationalError(2003, "Can't connect to MySQL server")

    monkeypatch.setattr(auth_middleware.auth, "get_user", database_down)
    client.raise_request_exception = False
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 503
    assert response["Content-Language"] == "ko"
