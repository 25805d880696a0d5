"""E-mails are written in the recipient's language, whoever asked for them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import translation

from accounts.emails import PasswordResetForm, in_language_of
from pedometer_site.tests.testing import make_user


def reset_mail_for(email: str, *, browser: str | None = None):
    form = PasswordResetForm(data={"email": email})
    assert form.is_valid()
    # The requester's language is active while the request runs (LanguageMiddleware).
    with translation.override(browser or "en"):
        form.save(domain_override="pedometer.example", request=RequestFactory().post("/password-reset/"))
    (message,) = mail.outbox[-1:]
    return message


@pytest.mark.django_db
@pytest.mark.urls("accounts.tests.reset_urls")
@pytest.mark.parametrize(
    ("language", "browser", "korean"),
    [("ko", "en", True), ("en", "ko", False), ("", "ko", True), ("", "en", False)],
    ids=["account-ko-asked-in-english", "account-en-asked-in-korean", "no-setting-korean-browser", "neither"],
)
def test_a_password_reset_mail_is_in_the_accounts_language_else_the_requesters(settings, language, browser, korean):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user(email="ada@example.com", language=language)
    message = reset_mail_for("ada@example.com", browser=browser)
    # The site's reset templates (templates/registration/), in our catalogue.
    assert ("비밀번호" in message.subject + message.body) is korean
    assert ("password" in message.subject.lower()) is not korean


@pytest.mark.django_db
def test_rendering_in_a_users_language_leaves_the_requests_language_alone():
    user = make_user(language="ko")
    with translation.override("en"):
        with in_language_of(user) as language:
            assert language == "ko" == translation.get_language()
        assert translation.get_language() == "en"
