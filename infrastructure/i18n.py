"""Which language a response, a socket message, a push or an e-mail speaks.

One rule everywhere: the signed-in user's ``language`` setting, else the
client's ``Accept-Language``, else English (``settings.LANGUAGE_CODE``).
Codes and field names in the API stay English; only the human ``message``
texts change.

Where each case picks it up:

- pages and the admin (session users): ``LanguageMiddleware``, from the user
  the session already loads;
- the API (Bearer tokens, authenticated inside DRF, after every middleware):
  ``LanguageMiddleware`` first sets the ``Accept-Language`` choice, then the
  authentication class calls ``activate_for_user`` once it has the user row,
  so throttling, validation, errors and rendering speak the user's language;
- sockets: the consumer works out ``language_for(user, header)`` once at
  connect and wraps each message it handles in ``translation.override``;
- pushes and e-mails, which have no request of their own (or one from someone
  else), use ``translation.override(language_for(user, ...))`` while they
  render.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header

# Longer headers are not read at all: English (a browser sends well under 100
# bytes). Django's parser would read the first 500 characters of one, to the
# last comma; a header that long is no browser's, and English is the answer.
MAX_ACCEPT_LANGUAGE = 500


def supported(code: str | None) -> str | None:
    """'ko', 'ko-KR', 'KO_kr' -> 'ko'; a language we do not write -> None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in _supported_codes() else None


def _supported_codes() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def language_from_header(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header we write, by its
    q-values; None when it names none of them (or cannot be read)."""
    if not header or len(header) > MAX_ACCEPT_LANGUAGE:
        return None
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        language = supported(code)
        if language is not None:
            return language
    return None


def language_for(user: Any, accept_language: str | None = None) -> str:
    """The language for this user (a ``User``, an anonymous user or None) and
    this ``Accept-Language`` header (or a device's locale), by the one rule."""
    return choose_language(setting=getattr(user, "language", "") or "", accept_language=accept_language)


def choose_language(*, setting: str, accept_language: str | None) -> str:
    """The rule itself: a setting we write, else the header's, else English."""
    return supported(setting) or language_from_header(accept_language) or default_language()


def default_language() -> str:
    return supported(settings.LANGUAGE_CODE) or "en"


def activate_for_user(user: Any, request: Any = None) -> str:
    """Makes this user's setting the active language for the rest of the
    request, if they have one; otherwise the choice already made from the
    request's ``Accept-Language`` (by ``LanguageMiddleware``) stays. Reads
    only the loaded user row, never the database."""
    setting = supported(getattr(user, "language", "") or "")
    if setting is not None:
        translation.activate(setting)
    language = translation.get_language() or default_language()
    if request is not None:
        # DRF's Request wraps Django's; templates and views read Django's.
        getattr(request, "_request", request).LANGUAGE_CODE = language
    return language


SESSION_USER_EXEMPT_PREFIX = "/api/"


class LanguageMiddleware:
    """Activates the language for this request and deactivates it after.

    The session user is consulted only when the request carries a session
    cookie and is not for the API: the API authenticates with tokens inside
    DRF (``activate_for_user``), and touching ``request.user`` there would
    cost it a session and a user query it never needed. A page's own user
    is loaded by the same lazy object the views and templates use, so it
    costs no extra query (``pedometer_site/tests/test_languages.py`` counts).

    The response says which language it speaks (``Content-Language``) and
    that it depends on ``Accept-Language`` (``Vary``), so no cache serves one
    visitor's language to another.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_from_header(request.META.get("HTTP_ACCEPT_LANGUAGE")) or default_language()
        if settings.SESSION_COOKIE_NAME in request.COOKIES and not request.path.startswith(SESSION_USER_EXEMPT_PREFIX):
            # The database down: the view meets the same error inside the outage
            # middleware (a 503); here it only costs the setting.
            with contextlib.suppress(DatabaseError):
                language = supported(getattr(getattr(request, "user", None), "language", "") or "") or language
        translation.activate(language)
        request.LANGUAGE_CODE = language  # what Django's LocaleMiddleware sets too; templates read it
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language() or language)
            patch_vary_headers(response, ("Accept-Language",))
            return response
        finally:
            # Nothing of this request's language survives on the worker thread.
            translation.deactivate()


# gettext_lazy by another name: the names below are not literals, and
# makemessages would otherwise take the f-string itself for a message.
translate_later = gettext_lazy


def translate_model_names(app_configs: Iterable[AppConfig]) -> None:
    """Makes the names the admin shows for these apps, their models and their
    fields (``verbose_name``, the plural, the app's own) translatable.

    Most are derived from code names ("display name" from ``display_name``),
    which no catalogue can see; this wraps each one not already marked in
    ``gettext_lazy`` once the models are loaded. Migrations never see it:
    they record a field's ``verbose_name`` argument and a model's Meta as
    written (``Field._verbose_name``, ``Options.original_attrs``), so no app
    gains a migration for a label. The msgids sit in
    ``pedometer_site/model_names.py`` for makemessages; a test fails when a
    name has no Korean.
    """
    for config in app_configs:
        if not isinstance(config.verbose_name, Promise):
            config.verbose_name = translate_later(config.verbose_name)
        for model in config.get_models():
            opts = model._meta
            if "verbose_name_plural" not in opts.original_attrs and not isinstance(opts.verbose_name, Promise):
                # Django's derived plural appends an "s" to the (translated) singular.
                opts.verbose_name_plural = translate_later(f"{opts.verbose_name}s")
            for attribute in ("verbose_name", "verbose_name_plural"):
                value = getattr(opts, attribute)
                if not isinstance(value, Promise):
                    setattr(opts, attribute, translate_later(value))
            for field in opts.get_fields():
                if field.concrete and not field.auto_created and not isinstance(field.verbose_name, Promise):
                    field.verbose_name = translate_later(field.verbose_name)
