"""E-mails to a user, written in that user's language.

An e-mail is read by its recipient, not by whoever caused it: a password
reset asked for from an English browser for an account set to Korean is
written in Korean. The language follows the one rule of
``infrastructure.i18n`` with the recipient in the place of the requester:
their ``language`` setting, else the language the request that sends the mail
already speaks (its ``Accept-Language``), else English.

How to send one, with templates that use ``{% translate %}`` /
``{% blocktranslate %}``:

- anything of our own: render and send inside ``with in_language_of(user):``;
- Django's password reset (``PasswordResetView``): pass
  ``form_class=PasswordResetForm`` from here; its ``send_mail`` renders the
  subject and the body inside ``in_language_of`` the account being reset.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import forms as auth_forms
from django.utils import translation

from infrastructure.i18n import default_language, supported


@contextlib.contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Renders what runs inside in ``user``'s language (see the module)."""
    language = (
        supported(getattr(user, "language", "") or "") or supported(translation.get_language()) or default_language()
    )
    with translation.override(language):
        yield language


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, its e-mail in the language of the account it resets."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        with in_language_of(context.get("user")):
            super().send_mail(
                subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name
            )
