"""The account pages through the test client: sign up, sign in (the guarded
door), sign out, settings, password change, and reset by e-mail."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import DaySettings, User
from pedometer_site.tests.testing import PASSWORD, client_for, make_user

NEW_PASSWORD = "a-brand-new-passphrase-2026"
SIGN_UP = {
    "email": "new@example.com",
    "display_name": "Newton",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
    "timezone": "Asia/Seoul",
    "daily_goal": "9000",
}


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html)
    return match.group(1) if match else ""


def settings_of(user) -> dict[str, str]:
    return {
        "display_name": user.display_name,
        "timezone": user.timezone,
        "daily_goal": str(user.daily_goal),
        "visibility": user.visibility,
        "language": user.language,
        "quiet_hours_start": user.quiet_hours_start.strftime("%H:%M"),
        "quiet_hours_end": user.quiet_hours_end.strftime("%H:%M"),
    }


# --- Sign up ------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_creates_the_account_signs_in_and_goes_to_the_personal_page():
    client = Client()
    assert client.get("/signup/").status_code == 200
    response = client.post("/signup/", SIGN_UP)
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    user = User.objects.get(email="new@example.com")
    assert (user.display_name, user.timezone, user.daily_goal) == ("Newton", "Asia/Seoul", 9000)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "Welcome, Newton!" in client.get("/me/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone &#x27;Mars/Olympus&#x27;."),
        ({"daily_goal": "100001"}, "daily_goal", "Ensure this value is less than or equal to 100000."),
        ({"daily_goal": "lots"}, "daily_goal", "A valid integer is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "password2", "The two passwords do not match."),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "This password is too common."),
    ],
)
def test_sign_up_refuses_bad_input_in_the_apis_words(api, change, field, message):
    response = Client().post("/signup/", {**SIGN_UP, **change})
    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message
    assert not User.objects.filter(email="new@example.com").exists()
    if field != "password2":  # the API has one password field
        api_field = "password" if field == "password1" else field
        body = {"email": SIGN_UP["email"], "password": SIGN_UP["password1"], "display_name": "Newton"}
        body |= {api_field: change[field]} if field in change else {}
        if field == "daily_goal":
            body[field] = int(change[field]) if change[field].isdigit() else change[field]
        answer = api.post("/api/v1/auth/register", body, format="json")
        assert answer.status_code == 400
        assert answer.json()["error"]["fields"][api_field][0] == message.replace("&#x27;", "'")


@pytest.mark.django_db
def test_sign_up_with_a_taken_email_says_so_and_creates_nothing():
    make_user(email="new@example.com")
    response = Client().post("/signup/", {**SIGN_UP, "email": "NEW@example.com"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "An account with this email already exists." in html
    assert field_error(html, "email") == "Already registered."
    assert User.objects.filter(email__iexact="new@example.com").count() == 1


@pytest.mark.django_db
def test_sign_up_shares_the_apis_limit_per_address(settings, api):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register_ip": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    browser = Client(REMOTE_ADDR="203.0.113.9")
    assert browser.post("/signup/", {**SIGN_UP, "email": "a@example.com"}).status_code == 302
    browser.post("/logout/")
    body = {"email": "b@example.com", "password": SIGN_UP["password1"], "display_name": "B"}
    assert api.post("/api/v1/auth/register", body, format="json", REMOTE_ADDR="203.0.113.9").status_code == 201
    refused = browser.post("/signup/", {**SIGN_UP, "email": "c@example.com"})
    assert refused.status_code == 429
    assert "Too many sign-ups from this address." in refused.content.decode()
    assert not User.objects.filter(email="c@example.com").exists()


@pytest.mark.django_db
def test_forms_without_the_csrf_token_are_refused():
    user = make_user()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/signup/", SIGN_UP).status_code == 403
    assert strict.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 403
    strict.force_login(user)
    assert strict.post("/settings/", {**settings_of(user), "display_name": "Hacked"}).status_code == 403
    assert strict.post("/logout/").status_code == 403
    user.refresh_from_db()
    assert user.display_name != "Hacked"


# --- Sign in and out ----------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_follows_next_on_this_site_only():
    make_user(email="ada@example.com")
    here = Client().post("/login/?next=/me/", {"username": "ada@example.com", "password": PASSWORD, "next": "/me/"})
    assert here["Location"] == "/me/"
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        away = Client().post("/login/", {"username": "ada@example.com", "password": PASSWORD, "next": evil})
        assert away.status_code == 302
        assert away["Location"] == "/me/", evil
        sign_up = Client().post(f"/signup/?next={evil}", {**SIGN_UP, "email": f"n{len(evil)}@example.com"})
        assert sign_up["Location"] == "/me/", evil


@pytest.mark.django_db
def test_repeated_failures_lock_the_web_form_with_a_page_that_says_why(settings):
    make_user(email="ada@example.com")
    browser = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP):
        wrong = browser.post("/login/", {"username": "ada@example.com", "password": f"guess-{n}"})
        assert wrong.status_code == 200
        assert "Please enter a correct email" in wrong.content.decode()
    locked = browser.post("/login/", {"username": "ada@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("text/html")
    html = locked.content.decode()
    assert "Too many failed sign-in attempts" in html
    assert "Try again in 15 minutes." in html
    assert 'href="/password-reset/"' in html
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_sign_out_is_a_post_only():
    user = make_user()
    client = signed_in_client(user)
    assert client.get("/logout/").status_code == 405
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_navigation_follows_the_session():
    anonymous = Client().get("/signup/").content.decode()
    assert 'href="/login/"' in anonymous and 'href="/signup/"' in anonymous
    assert 'href="/me/"' not in anonymous
    signed_in = signed_in_client(make_user()).get("/settings/").content.decode()
    assert 'href="/me/"' in signed_in
    assert 'href="/settings/" aria-current="page"' in signed_in
    assert 'action="/logout/"' in signed_in


# --- Settings ------------------------------------------------------------------------


@pytest.mark.django_db
def test_settings_save_through_the_profile_service_and_say_so():
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    user = make_user(daily_goal=8000)
    client = signed_in_client(user)
    assert client.get("/settings/").status_code == 200
    change = {
        "display_name": "Ada L.",
        "timezone": "Europe/Berlin",
        "daily_goal": "12000",
        "visibility": "friends",
        "language": "ko",
        "quiet_hours_start": "23:00",
        "quiet_hours_end": "06:30",
    }
    with time_machine.travel(now, tick=False):
        response = client.post("/settings/", change)
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    user.refresh_from_db()
    assert (user.display_name, user.timezone, user.daily_goal, user.visibility, user.language) == (
        "Ada L.", "Europe/Berlin", 12000, "friends", "ko",
    )  # fmt: skip
    assert (user.quiet_hours_start, user.quiet_hours_end) == (dt.time(23), dt.time(6, 30))
    # The same history a PATCH /me writes: the new goal holds from today on.
    assert list(DaySettings.objects.filter(user=user).values_list("starts_on", "daily_goal")) == [
        (dt.date(2000, 1, 1), 8000),
        (dt.date(2026, 11, 20), 12000),
    ]
    page = client.get("/settings/").content.decode()
    assert '<html lang="ko">' in page  # the chosen language, from the next page on
    assert 'class="message success"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone &#x27;Europe/Atlantis&#x27;."),
        ({"daily_goal": "99"}, "daily_goal", "Ensure this value is greater than or equal to 100."),
        ({"daily_goal": "100001"}, "daily_goal", "Ensure this value is less than or equal to 100000."),
        ({"display_name": ""}, "display_name", "This field may not be blank."),
        ({"quiet_hours_start": "25:00"}, "quiet_hours_start", "Use a local time as HH:MM, e.g. 22:00."),
    ],
)
def test_settings_refuse_what_patch_me_refuses_in_the_same_words(change, field, message):
    user = make_user(daily_goal=8000, timezone="UTC")
    response = signed_in_client(user).post("/settings/", {**settings_of(user), **change})
    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message
    api_value = int(change[field]) if field == "daily_goal" else change[field]
    answer = client_for(user).patch("/api/v1/me", {field: api_value}, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"][field][0] == message.replace("&#x27;", "'")
    user.refresh_from_db()
    assert (user.daily_goal, user.timezone, user.display_name) == (8000, "UTC", user.display_name)
    assert not DaySettings.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_settings_and_password_pages_need_a_sign_in():
    for url in ["/settings/", "/settings/password/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


# --- Password change -------------------------------------------------------------------


@pytest.mark.django_db
def test_password_change_keeps_this_browser_signed_in_and_ends_other_sessions():
    user = make_user()
    here, elsewhere = signed_in_client(user), signed_in_client(user)
    phone = client_for(user)
    response = here.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert here.get("/me/").status_code == 200
    assert elsewhere.get("/me/").status_code == 302  # signed out
    assert phone.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"old_password": "wrong"}, "old_password", "Wrong password."),
        ({"new_password2": "not-the-same-one-2026"}, "new_password2", "The two passwords do not match."),
        ({"new_password1": "password", "new_password2": "password"}, "new_password1", "This password is too common."),
    ],
)
def test_password_change_refuses_bad_input(body, field, message):
    user = make_user()
    full = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **body}
    response = signed_in_client(user).post("/settings/password/", full)
    assert response.status_code == 400
    assert message in field_error(response.content.decode(), field)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Password reset --------------------------------------------------------------------


def reset_link() -> str:
    (message,) = mail.outbox
    return re.search(r"http://testserver(/password-reset/[^/]+/[^/]+/)", message.body).group(1)


@pytest.mark.django_db
def test_a_reset_link_by_email_sets_a_new_password_once():
    user = make_user(email="ada@example.com", display_name="Ada")
    phone = client_for(user)
    client = Client()
    assert client.get("/password-reset/").status_code == 200
    response = client.post("/password-reset/", {"email": "ADA@example.com"})
    assert response["Location"] == "/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your Pedometer password"
    assert "Hello Ada," in message.body
    link = reset_link()

    form = client.get(link, follow=True)  # Django moves the token into the session first
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "something-else-2026"})
    assert mismatch.status_code == 200
    assert field_error(mismatch.content.decode(), "new_password2")
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/password-reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert phone.get("/api/v1/me").status_code == 401  # the API sessions ended too

    used = Client().get(link, follow=True)
    assert "This link no longer works" in used.content.decode()
    assert Client().post("/login/", {"username": "ada@example.com", "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_email():
    make_user(email="ada@example.com")
    known = Client().post("/password-reset/", {"email": "ada@example.com"}, follow=True)
    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/password-reset/sent/", 302)]
    assert known.content == unknown.content
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_expired_reset_link_no_longer_works(settings):
    user = make_user(email="ada@example.com")
    Client().post("/password-reset/", {"email": "ada@example.com"})
    link = reset_link()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)):
        page = Client().get(link, follow=True)
    assert "This link no longer works" in page.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_reset_email_is_written_in_the_accounts_language():
    make_user(email="ada@example.com", language="ko")
    Client().post("/password-reset/", {"email": "ada@example.com"})
    (message,) = mail.outbox
    assert message.subject != "Reset your Pedometer password"
    assert "비밀번호" in message.subject


@pytest.mark.django_db
def test_reset_emails_are_limited_per_address_and_per_client_ip(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "password_reset_address": "2/hour", "password_reset_ip": "3/hour"},
    }
    make_user(email="ada@example.com")
    for n in range(2):
        asked = Client(REMOTE_ADDR=f"198.51.100.{n}").post("/password-reset/", {"email": "ada@example.com"})
        assert asked.status_code == 302
    flood = Client(REMOTE_ADDR="198.51.100.9").post("/password-reset/", {"email": "Ada@example.com"})
    assert flood.status_code == 429
    assert "Too many reset e-mails asked for." in flood.content.decode()
    assert int(flood["Retry-After"]) > 0
    assert len(mail.outbox) == 2

    one_address = Client(REMOTE_ADDR="203.0.113.5")
    answers = [one_address.post("/password-reset/", {"email": f"x{n}@example.com"}).status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]


@pytest.mark.django_db
def test_wrong_current_passwords_lock_the_password_page_with_a_message(settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = 3
    user = make_user()
    client = signed_in_client(user)
    wrong = {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert [client.post("/settings/password/", wrong).status_code for _ in range(3)] == [400, 400, 400]
    locked = client.post("/settings/password/", {**wrong, "old_password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()  # the guard's page, as at /login/
    assert "Try again in 15 minutes." in locked.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_korean_account_gets_its_form_errors_in_korean():
    user = make_user(language="ko", daily_goal=8000)
    response = signed_in_client(user).post("/settings/", {**settings_of(user), "daily_goal": "100001"})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="ko">' in html
    error = field_error(html, "daily_goal")
    assert error and "Ensure this value" not in error  # DRF's own Korean, as the API would say it
    assert "100000" in error


@pytest.mark.django_db
def test_a_visitor_gets_the_browsers_language_and_an_account_its_own():
    korean_browser = Client(HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    page = korean_browser.get("/signup/").content.decode()
    assert '<html lang="ko">' in page
    assert "Create your account" not in page
    assert '<html lang="en">' in Client(HTTP_ACCEPT_LANGUAGE="fr").get("/signup/").content.decode()
    # The account's own choice wins over the browser's.
    english_account = make_user(language="en")
    korean_browser.force_login(english_account)
    assert '<html lang="en">' in korean_browser.get("/settings/").content.decode()
