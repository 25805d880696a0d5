"""Every sign-in door goes through one guard (accounts/sign_in_guard.py, on
django-axes): failed attempts counted per (account, client IP) strictly, per
IP, and per account loosely with a growing delay, in the shared cache; a 429
says when to retry. Sign-up is throttled per client IP."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from pedometer_site.tests.testing import PASSWORD, bearer_client, make_user, sign_in

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
ATTACKER = "203.0.113.66"
OWNER_IP = "198.51.100.20"


@pytest.fixture
def rates(settings):
    def set_rates(**rates: str) -> None:
        defaults = {"register_ip": "1000/hour"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**defaults, **rates}}

    return set_rates


def login(api, email, password=PASSWORD, ip="203.0.113.7", **headers):
    return api.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **headers)


def register(api, n, ip="203.0.113.7"):
    body = {"email": f"new{n}@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "New"}
    return api.post(REGISTER, body, format="json", REMOTE_ADDR=ip)


def assert_throttled(response, longest_wait: int) -> None:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert isinstance(error["retry_after"], int)
    assert 1 <= error["retry_after"] <= longest_wait
    assert response["Retry-After"] == str(error["retry_after"])


@pytest.mark.django_db
def test_an_attackers_100_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(api):
    make_user(email="ada@example.com")

    answers = [login(api, "ada@example.com", f"guess-{n}", ip=ATTACKER).status_code for n in range(100)]

    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}  # the attacker's address is held back...
    assert login(api, "ada@example.com", ip=ATTACKER).status_code == 429  # ...even with the right password
    assert login(api, "ada@example.com", ip=OWNER_IP).status_code == 200  # the owner, elsewhere, at once


@pytest.mark.django_db
def test_failures_per_account_and_address_are_strict(api, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = 3
    make_user(email="ada@example.com")
    make_user(email="bo@example.com")

    answers = [login(api, "ada@example.com", "guess").status_code for _ in range(3)]

    assert answers == [401, 401, 401]
    assert_throttled(login(api, "ADA@example.com "), longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)  # any spelling
    assert login(api, "bo@example.com").status_code == 200  # another account from the same address
    assert login(api, "ada@example.com", ip=OWNER_IP).status_code == 200


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_held_back(api, settings):
    settings.SIGN_IN_FAILURES_PER_IP = 3
    make_user(email="ada@example.com")

    answers = [login(api, f"nobody{n}@example.com").status_code for n in range(3)]

    assert answers == [401, 401, 401]
    assert_throttled(login(api, "ada@example.com"), longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)
    assert login(api, "ada@example.com", ip="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_many_addresses_guessing_one_account_meet_a_growing_delay_not_a_lockout(api, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
    make_user(email="ada@example.com")
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        answers = [login(api, "ada@example.com", "guess", ip=f"192.0.2.{n}").status_code for n in range(3)]
        assert answers == [401, 401, 401]
        # The third failure set a 1 s delay on the account, wherever the next attempt comes from.
        assert_throttled(login(api, "ada@example.com", ip=OWNER_IP), longest_wait=1)
    with time_machine.travel(start + dt.timedelta(seconds=1.5), tick=False):
        assert login(api, "ada@example.com", "guess", ip="192.0.2.50").status_code == 401
        assert_throttled(login(api, "ada@example.com", ip=OWNER_IP), longest_wait=2)  # doubled
    with time_machine.travel(start + dt.timedelta(seconds=4), tick=False):
        assert login(api, "ada@example.com", ip=OWNER_IP).status_code == 200  # the owner only waited


@pytest.mark.django_db
def test_the_account_delay_never_exceeds_its_cap(api, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 1
    settings.SIGN_IN_ACCOUNT_DELAY_MAX = 4
    make_user(email="ada@example.com")
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    for n in range(8):
        with time_machine.travel(start + dt.timedelta(seconds=10 * n), tick=False):
            assert login(api, "ada@example.com", "guess", ip=f"192.0.2.{n}").status_code == 401
    with time_machine.travel(start + dt.timedelta(seconds=70), tick=False):
        assert_throttled(login(api, "ada@example.com", ip=OWNER_IP), longest_wait=4)


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_count(api, settings):
    settings.SIGN_IN_FAILURES_PER_IP = 2

    for n in range(2):
        login(api, f"nobody{n}@example.com", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    over = login(api, "nobody@example.com", HTTP_X_FORWARDED_FOR="10.0.0.99")

    assert_throttled(over, longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)


@pytest.mark.django_db
def test_behind_a_proxy_the_ip_count_is_per_forwarded_client(api, settings):
    settings.SIGN_IN_FAILURES_PER_IP = 2
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.1.1.1"

    for n in range(2):
        login(api, f"nobody{n}@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    over = login(api, "nobody@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    other_client = login(api, "nobody@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert_throttled(over, longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)
    assert other_client.status_code == 401


@pytest.mark.django_db
def test_the_hold_lifts_after_the_cool_off_and_a_success_clears_the_count(api, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = 2
    settings.SIGN_IN_COOLOFF_SECONDS = 60
    make_user(email="ada@example.com")
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        login(api, "ada@example.com", "guess")
        login(api, "ada@example.com", "guess")
        assert_throttled(login(api, "ada@example.com"), longest_wait=60)
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert login(api, "ada@example.com").status_code == 200
        # The success cleared this address's count on the account: one slip is one slip again.
        assert login(api, "ada@example.com", "guess").status_code == 401
        assert login(api, "ada@example.com").status_code == 200


@pytest.mark.django_db
def test_the_session_login_page_is_guarded_too(settings):
    make_user(email="ada@example.com")
    browser = Client(REMOTE_ADDR=ATTACKER)

    answers = [
        browser.post("/login/", {"username": "ada@example.com", "password": f"guess-{n}"}).status_code
        for n in range(25)
    ]

    assert answers[:5] == [200] * 5  # the form again, with its error
    assert set(answers[5:]) == {429}
    refused = browser.post("/login/", {"username": "ada@example.com", "password": PASSWORD})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.SIGN_IN_COOLOFF_SECONDS
    assert "_auth_user_id" not in browser.session
    owner = Client(REMOTE_ADDR=OWNER_IP)
    assert owner.post("/login/", {"username": "ada@example.com", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_the_doors_share_one_count(api, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = 4
    make_user(email="ada@example.com")
    browser = Client(REMOTE_ADDR=ATTACKER)
    browser.post("/login/", {"username": "ada@example.com", "password": "guess"})
    browser.post("/admin/login/", {"username": "ada@example.com", "password": "guess"})
    login(api, "ada@example.com", "guess", ip=ATTACKER)
    login(api, "ada@example.com", "guess", ip=ATTACKER)

    assert_throttled(login(api, "ada@example.com", ip=ATTACKER), longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)
    assert browser.post("/login/", {"username": "ada@example.com", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_refused_refresh_tokens_count_against_the_address(api, settings):
    settings.SIGN_IN_FAILURES_PER_IP = 3
    user = make_user()
    good = sign_in(user).refresh

    answers = [
        api.post("/api/v1/auth/refresh", {"refresh": f"not-a-token-{n}"}, format="json", REMOTE_ADDR=ATTACKER)
        for n in range(3)
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    over = api.post("/api/v1/auth/refresh", {"refresh": good}, format="json", REMOTE_ADDR=ATTACKER)
    assert_throttled(over, longest_wait=settings.SIGN_IN_COOLOFF_SECONDS)
    assert api.post("/api/v1/auth/refresh", {"refresh": good}, format="json", REMOTE_ADDR=OWNER_IP).status_code == 200


@pytest.mark.django_db
def test_wrong_current_passwords_count_like_wrong_sign_ins(settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = 2
    user = make_user()
    client = bearer_client(sign_in(user).access)
    body = {"old_password": "guess", "new_password": "another-long-passphrase-42"}

    answers = [client.post("/api/v1/me/password", body, format="json", REMOTE_ADDR=ATTACKER) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [400, 400]
    body["old_password"] = PASSWORD
    assert_throttled(
        client.post("/api/v1/me/password", body, format="json", REMOTE_ADDR=ATTACKER),
        longest_wait=settings.SIGN_IN_COOLOFF_SECONDS,
    )


@pytest.mark.django_db
def test_register_is_throttled_per_ip(api, rates):
    rates(register_ip="2/hour")

    answers = [register(api, n).status_code for n in range(2)]
    over = register(api, 2)

    assert answers == [201, 201]
    assert_throttled(over, longest_wait=3600)
    assert register(api, 3, ip="198.51.100.9").status_code == 201
