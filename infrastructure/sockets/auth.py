"""Who is on the other end of a socket: a phone's access token, or the
browser's session.

Phones pass the access token as ``?token=<access>``, or as a second
``Sec-WebSocket-Protocol`` value (``bearer, <access>``) where the client
cannot set a query. A bad or expired token leaves the scope anonymous;
consumers close anonymous sockets with code 4401 before sending anything.
A consumer that signed-out visitors may use still closes a socket whose
token was refused (``token_refused``): its client must learn to get a new
one rather than be shown less without knowing why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

CLOSE_UNAUTHENTICATED = 4401


def _token_from_scope(scope: dict) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"sec-websocket-protocol":
            protocols = [item.strip() for item in value.decode("latin-1").split(",")]
            if len(protocols) == 2 and protocols[0].lower() == "bearer":
                return protocols[1]
    return None


@database_sync_to_async
def _user_for_token(raw: str):
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw.encode()))
    # AuthenticationFailed covers bad tokens (InvalidToken) and deleted or deactivated accounts.
    except (AuthenticationFailed, TokenError, LookupError, ValueError):
        return AnonymousUser()


def token_refused(scope: Mapping[str, Any]) -> bool:
    """A token came with the socket and did not sign anyone in."""
    return scope.get("auth_via") == "token" and not scope["user"].is_authenticated


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        token = _token_from_scope(scope)
        if token is not None:
            scope = dict(scope, user=await _user_for_token(token), auth_via="token")
        return await super().__call__(scope, receive, send)


def TokenAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' own stacks
    # Session first, then the token (when present) wins.
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


class _BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def BrowserOriginValidator(application):  # noqa: N802 - named like Channels' validators
    """Sockets that carry an Origin must come from one of our hosts; sockets
    without one are let through.

    The Origin check stops cross-site WebSocket hijacking: a foreign page
    opening a socket that rides on the visitor's session cookie. Browsers
    always send Origin, so that attack always carries one. Phone apps
    (OkHttp, URLSession) send none, and must bring their own token anyway.
    """
    return _BrowserOriginValidator(application, settings.ALLOWED_HOSTS)
