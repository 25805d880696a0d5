"""Small builders for tests: users, signed-in clients."""

from __future__ import annotations

import itertools

from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test accounts only
_sequence = itertools.count(1)


def make_user(**fields) -> User:
    n = next(_sequence)
    fields.setdefault("email", f"walker{n}@example.com")
    fields.setdefault("display_name", f"Walker {n}")
    password = fields.pop("password", PASSWORD)
    return User.objects.create_user(password=password, **fields)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user).access}")
    return client


def websocket(
    path: str, *, token: str | None = None, bearer: str | None = None, origin: str | None = "http://localhost"
):
    """A Channels test socket on the real ASGI application (origin check and
    token middleware included). ``token`` goes in the query, ``bearer`` in
    ``Sec-WebSocket-Protocol``, as a phone would send them."""
    from channels.testing import WebsocketCommunicator

    from pedometer_site.asgi import application

    headers = [(b"origin", origin.encode())] if origin else []
    subprotocols = None
    if token is not None:
        path += ("&" if "?" in path else "?") + f"token={token}"
    if bearer is not None:
        subprotocols = ["bearer", bearer]
        headers.append((b"sec-websocket-protocol", f"bearer, {bearer}".encode()))
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
