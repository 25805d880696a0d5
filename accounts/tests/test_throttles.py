"""Sign-in and sign-up are throttled per client IP and per account, in the
shared cache; a 429 says when to retry."""

import datetime as dt

import pytest
import time_machine

from pedometer_site.tests.testing import PASSWORD, make_user

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


@pytest.fixture
def rates(settings):
    def set_rates(**rates: str) -> None:
        defaults = {"auth_ip": "1000/min", "auth_account": "1000/min", "register_ip": "1000/hour"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**defaults, **rates}}

    return set_rates


def login(api, email, password=PASSWORD, ip="203.0.113.7", **headers):
    return api.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **headers)


def register(api, n, ip="203.0.113.7"):
    body = {"email": f"new{n}@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "New"}
    return api.post(REGISTER, body, format="json", REMOTE_ADDR=ip)


def assert_throttled(response, longest_wait: int) -> None:
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert isinstance(error["retry_after"], int)
    assert 1 <= error["retry_after"] <= longest_wait
    assert response["Retry-After"] == str(error["retry_after"])


@pytest.mark.django_db
def test_login_is_throttled_per_ip(api, rates):
    rates(auth_ip="3/min")

    answers = [login(api, f"nobody{n}@example.com").status_code for n in range(3)]
    over = login(api, "someone-else@example.com")

    assert answers == [401, 401, 401]
    assert_throttled(over, longest_wait=60)
    assert login(api, "nobody@example.com", ip="198.51.100.9").status_code == 401


@pytest.mark.django_db
def test_the_ip_throttle_stops_a_correct_password_too(api, rates):
    rates(auth_ip="2/min")
    make_user(email="ada@example.com")
    login(api, "x@example.com")
    login(api, "y@example.com")

    assert_throttled(login(api, "ada@example.com"), longest_wait=60)


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_throttle(api, rates):
    rates(auth_ip="2/min")

    for n in range(2):
        login(api, "nobody@example.com", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    over = login(api, "nobody@example.com", HTTP_X_FORWARDED_FOR="10.0.0.99")

    assert_throttled(over, longest_wait=60)


@pytest.mark.django_db
def test_behind_a_proxy_the_ip_throttle_counts_each_forwarded_client(api, rates, settings):
    rates(auth_ip="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.1.1.1"

    for _ in range(2):
        login(api, "nobody@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    over = login(api, "nobody@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    other_client = login(api, "nobody@example.com", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert_throttled(over, longest_wait=60)
    assert other_client.status_code == 401


@pytest.mark.django_db
def test_login_is_throttled_per_account_from_any_ip(api, rates):
    rates(auth_account="3/min")
    make_user(email="ada@example.com")

    answers = [login(api, "ada@example.com", "guess", ip=f"198.51.100.{n}").status_code for n in range(3)]
    over = login(api, "ADA@example.com", ip="192.0.2.200")

    assert answers == [401, 401, 401]
    assert_throttled(over, longest_wait=60)
    # The right password from a fresh IP is held back too: that is the point.
    assert login(api, "ada@example.com", ip="192.0.2.201").status_code == 429
    # Other accounts are untouched.
    make_user(email="bo@example.com")
    assert login(api, "bo@example.com", ip="198.51.100.0").status_code == 200


@pytest.mark.django_db
def test_the_throttle_lifts_when_the_window_has_passed(api, rates):
    rates(auth_account="2/min")
    make_user(email="ada@example.com")
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        login(api, "ada@example.com", "guess")
        login(api, "ada@example.com", "guess")
        assert login(api, "ada@example.com").status_code == 429
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert login(api, "ada@example.com").status_code == 200


@pytest.mark.django_db
def test_register_is_throttled_per_ip(api, rates):
    rates(register_ip="2/hour")

    answers = [register(api, n).status_code for n in range(2)]
    over = register(api, 2)

    assert answers == [201, 201]
    assert_throttled(over, longest_wait=3600)
    assert register(api, 3, ip="198.51.100.9").status_code == 201
