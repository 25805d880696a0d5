"""A newcomer's whole journey through the web pages in a real Chromium, against
the real ASGI server (uvicorn, on the test database and Redis): sign up,
switch the settings to Korean, see the personal page after a phone's sync,
sign out, reset the password by e-mail, and sign in with the new one."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from pedometer_site.tests.servers import Server, server_env

ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PASSWORD = "a-long-and-unusual-passphrase"
NEW_PASSWORD = "another-long-passphrase-2026"


@pytest.fixture
def mailbox(tmp_path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def web_server(transactional_db, mailbox):
    # The file e-mail backend, so the test reads what the server process sent.
    env = server_env(
        DEBUG="true",
        REDIS_URL=django_settings.REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mailbox),
    )
    server = Server(env=env)
    try:
        yield server.url
    finally:
        server.stop()


def reset_link_from(mailbox: Path) -> tuple[str, str]:
    (sent,) = list(mailbox.iterdir())
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    body = message.get_body().get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", body)
    assert link, body
    return str(message["Subject"]), link.group(0)


def test_sign_up_korean_settings_personal_page_sign_out_reset_and_sign_in(web_server, chromium, mailbox):
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1000, "height": 800}, locale="en-US")

    # Sign up from the navigation.
    page.goto(f"{web_server}/")
    page.click("header nav a[href='/signup/']")
    page.fill("#id_email", "newcomer@example.com")
    page.fill("#id_display_name", "Newcomer")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_timezone", "Asia/Seoul")
    page.fill("#id_daily_goal", "8000")
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{web_server}/me/")
    assert "Welcome, Newcomer!" in page.text_content(".messages")
    assert page.get_attribute("html", "lang") == "en"

    # Settings: Korean, whatever the browser says.
    page.click("header nav a[href='/settings/']")
    page.select_option("#id_language", "ko")
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{web_server}/settings/")
    assert page.get_attribute("html", "lang") == "ko"
    assert page.text_content("h1") == "설정"
    assert page.text_content(".messages") == "설정이 저장되었습니다."

    # A phone syncs through the API; the personal page shows it.
    tokens = page.request.post(
        f"{web_server}/api/v1/auth/login", data={"email": "newcomer@example.com", "password": PASSWORD}
    )
    assert tokens.status == 200, tokens.text()
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    sync = page.request.post(
        f"{web_server}/api/v1/steps/sync",
        data={
            "source": "phone",
            "days": [
                {"date": (today - timedelta(days=1)).isoformat(), "steps": 9_000},
                {"date": today.isoformat(), "steps": 6_000},
            ],
        },
        headers={"Authorization": f"Bearer {tokens.json()['access']}"},
    )
    assert sync.status == 200, sync.text()
    page.click("header nav a[href='/me/']")
    page.wait_for_url(f"{web_server}/me/")
    assert page.text_content("h1") == "내 걸음"
    assert page.text_content("#ring-desc") == "8,000걸음 중 6,000걸음 (75%)."
    assert page.is_visible("#ring")
    assert page.locator("svg.day-chart rect.bar").count() == 2
    assert page.locator("svg.day-chart rect.gap").count() == 28
    # Another sync moves the ring without a reload (the user's own /ws/live/ feed).
    page.wait_for_selector('#today[data-live="connected"]')
    page.evaluate("window.__sameDocument = true")
    more = page.request.post(
        f"{web_server}/api/v1/steps/sync",
        data={"source": "phone", "days": [{"date": today.isoformat(), "steps": 8_400}]},
        headers={"Authorization": f"Bearer {tokens.json()['access']}"},
    )
    assert more.status == 200, more.text()
    page.wait_for_selector('#today[data-steps="8400"]', timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.text_content("#ring-percent") == "105%"
    assert page.text_content("#ring-desc") == "8,000걸음 중 8,400걸음 (105%)."
    assert page.is_visible("#reached-note")
    page.screenshot(path=str(ARTIFACTS / "personal.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "personal-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1000, "height": 800})

    # Sign out (a POST from the header's button).
    page.click("header nav form button[type=submit]")
    page.wait_for_url(f"{web_server}/")
    assert page.locator("header nav a[href='/login/']").count() == 1

    # Forgot the password: the link comes by e-mail, in the account's language.
    page.goto(f"{web_server}/login/")
    page.click("a[href='/password-reset/']")
    page.fill("#id_email", "newcomer@example.com")
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{web_server}/password-reset/sent/")
    subject, link = reset_link_from(mailbox)
    assert subject == "Pedometer 비밀번호 재설정"
    page.goto(link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{web_server}/password-reset/done/")

    # The new password signs in; the old one does not.
    page.goto(f"{web_server}/login/")
    page.fill("#id_username", "newcomer@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector(".notice[role=alert]")
    page.fill("#id_username", "newcomer@example.com")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{web_server}/me/")
    assert page.text_content("h1") == "내 걸음"
    page.close()
