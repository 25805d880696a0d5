"""Production defaults a browser or an attacker can see: headers, cookies, the
admin's sign-in throttle, and secrets that never reach a log or an error."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Device
from pedometer_site.tests.testing import PASSWORD, bearer_client, make_user


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_that_lets_the_leaderboard_connect_its_socket():
    response = Client().get("/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy  # no inline script runs on the pages
    assert "connect-src 'self' ws: wss:" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_only_the_api_docs_may_run_their_inline_start_up_script(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_admin_pages_run_only_their_own_scripts():
    policy = Client().get("/admin/login/")["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_hsts_is_sent_over_https():
    response = Client().get("/healthz", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_and_http_only():
    staff = make_user(is_staff=True)
    browser = Client()
    page = browser.get("/admin/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    signed_in = browser.post(
        "/admin/login/",
        {"username": staff.email, "password": PASSWORD, "csrfmiddlewaretoken": page.context["csrf_token"]},
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


@pytest.mark.django_db
def test_admin_sign_in_is_throttled_per_account_before_any_password_is_checked(settings):
    settings.ADMIN_LOGIN_RATE_ACCOUNT = "3/min"
    staff = make_user(is_staff=True)
    browser = Client()
    for _ in range(3):
        wrong = browser.post("/admin/login/", {"username": staff.email, "password": "wrong"})
        assert wrong.status_code == 200  # the form again, with its error
    refused = browser.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "_auth_user_id" not in browser.session
    # Another account from elsewhere is unaffected.
    other = make_user(is_staff=True)
    assert Client().post("/admin/login/", {"username": other.email, "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_admin_sign_in_is_throttled_per_client_ip(settings):
    settings.ADMIN_LOGIN_RATE_IP = "4/min"
    browser = Client()
    statuses = [
        browser.post("/admin/login/", {"username": f"guess{n}@example.com", "password": "x"}).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.django_db
def test_no_password_token_or_fcm_token_reaches_a_log_or_an_error(api, caplog, settings):
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG)
    secret_password = "Sekrit-Pa55word-Zebra-42"
    fcm_token = "fcm-SECRET-registration-token-0123456789abcdef"
    user = make_user(password=secret_password, email="secretive@example.com")
    errors = []

    def keep(response):
        if response.status_code >= 400:  # the owner's own successes may echo their data
            errors.append(response.content.decode())
        return response

    login = keep(api.post("/api/v1/auth/login", {"email": user.email, "password": secret_password}, format="json"))
    assert login.status_code == 200
    access, refresh = login.json()["access"], login.json()["refresh"]
    keep(api.post("/api/v1/auth/login", {"email": user.email, "password": secret_password + "x"}, format="json"))
    keep(api.post("/api/v1/auth/login", {"email": user.email, "password": [secret_password]}, format="json"))
    client = bearer_client(access)
    keep(client.post("/api/v1/devices", {"token": fcm_token, "platform": "android"}, format="json"))
    keep(client.post("/api/v1/devices", {"token": fcm_token, "platform": "nokia"}, format="json"))
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()  # syncable in any zone, on any date
    assert (
        keep(client.post("/api/v1/steps/sync", {"days": [{"date": yesterday, "steps": 5}]}, format="json")).status_code
        == 200
    )
    keep(client.post("/api/v1/steps/sync", {"days": [{"date": "nope", "steps": -1}]}, format="json"))
    keep(client.post("/api/v1/me/password", {"old_password": "wrong", "new_password": secret_password}, format="json"))
    keep(api.post("/api/v1/auth/refresh", {"refresh": refresh + "tampered"}, format="json"))
    keep(bearer_client(access + "tampered").get("/api/v1/me"))
    assert Device.objects.filter(token=fcm_token).exists()  # the journey did reach the device

    logged = "\n".join(record.getMessage() + str(record.args or "") for record in caplog.records)
    # The failures above were logged and answered, so the search below means something.
    assert len(errors) >= 7 and caplog.records
    for secret in (secret_password, fcm_token, access, refresh):
        assert secret not in logged
        for body in errors:
            assert secret not in body
