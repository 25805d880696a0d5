"""Access tokens that stop working at once when their session ends.

Every token pair belongs to a *session*: the ``family`` claim, the id of the
first refresh token of a sign-in, carried through each rotation into every
access token cut from it. Ending a session (logout, or a refresh token used
twice: see ``services.refresh_rotate``) puts its family on a deny list in the
shared cache for as long as an access token can live, so those access tokens
are refused on the next request and socket, on every node. (A password change
already ends every access token: ``CHECK_REVOKE_TOKEN``.)

Cost: one cache GET per authenticated request: ``GET /api/v1/me`` p50 went
from 4.0-4.6 ms to 4.3-4.9 ms (test client, MariaDB + Redis, 400 requests,
two runs; README, "Threat model").
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from infrastructure.i18n import activate_for_user

from .models import User

FAMILY_CLAIM = "family"


def _key(family: str) -> str:
    return f"ended-session:{family}"


def end_session(family: str | None) -> None:
    """Refuses every access token of this session from now until they expire."""
    if family:
        lifetime = cast(timedelta, settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"])
        cache.set(_key(family), 1, timeout=int(lifetime.total_seconds()) + 1)


def session_ended(token: Token) -> bool:
    family = token.get(FAMILY_CLAIM)
    return bool(family) and cache.get(_key(family)) is not None


class _UsersByPrimaryKey:
    """What simplejwt's ``get_user`` asks of ``user_model``, answered with a raw
    query: ``User.objects.get(id=...)`` compiles its SQL on every request
    (about 0.2 ms of CPU), the same row read raw, through the model's own
    converters and the same database router, takes half that. Every
    authenticated request pays it once; simplejwt's checks stay its own."""

    DoesNotExist = User.DoesNotExist

    class objects:  # noqa: N801 - the manager's name, as simplejwt calls it
        @staticmethod
        def get(**lookup: object) -> User:
            ((field, value),) = lookup.items()
            if field not in ("id", "pk"):
                return User.objects.get(**lookup)
            sql = f"SELECT * FROM {User._meta.db_table} WHERE id = %s"  # noqa: S608 - a parameter
            found = list(User.objects.raw(sql, [value]))
            if not found:
                raise User.DoesNotExist
            return found[0]


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, refusing tokens of ended sessions.

    It is also where an API request learns its language: the first moment the
    user row is in hand (loaded by simplejwt anyway, so no extra query). From
    here on, throttles, permissions, validation, the error handler and the
    renderer all speak the user's ``language`` setting; before it (a refused
    token) and without a user, the ``Accept-Language`` choice of
    ``infrastructure.i18n.LanguageMiddleware`` stands.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_for_user(result[0], request)
        return result

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersByPrimaryKey  # type: ignore[assignment]

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        if session_ended(token):
            raise InvalidToken({"detail": _("This session has ended; sign in again."), "code": "token_not_valid"})
        return token


class SessionJWTScheme(SimpleJWTScheme):
    """The schema's ``jwtAuth`` (Bearer) scheme for the class above, as for simplejwt's own."""

    target_class = "accounts.authentication.SessionJWTAuthentication"
