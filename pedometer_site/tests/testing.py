"""Small builders for tests: users, signed-in clients, a Firebase project.

Plain functions and classes, so a test shows what it depends on.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from channels.db import database_sync_to_async
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from redis.connection import AbstractConnection, HiredisRespSerializer, PythonRespSerializer
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import TokenPair, tokens_for

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)


def make_user(**fields) -> User:
    """A user; without quiet hours unless told (a test of a push must not depend
    on the hour it runs at: the default 22:00-07:00 is every night somewhere)."""
    n = next(_sequence)
    fields.setdefault("quiet_hours_start", dt.time(0))
    fields.setdefault("quiet_hours_end", dt.time(0))
    fields.setdefault("email", f"walker{n}@example.com")
    fields.setdefault("display_name", f"Walker {n}")
    password = fields.pop("password", PASSWORD)
    return User.objects.create_user(password=password, **fields)


def client_for(user: User) -> APIClient:
    return bearer_client(tokens_for(user).access)


def bearer_client(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@database_sync_to_async
def signed_in(**fields) -> tuple[User, str]:
    """For async (socket) tests: a new user and their access token."""
    user = make_user(**fields)
    return user, tokens_for(user).access


def sign_in(user: User) -> TokenPair:
    """A fresh token pair, as a login would hand out."""
    return tokens_for(user)


def unverified_claims(token: str) -> dict:
    """What a client could read from a JWT without the key."""
    return jwt.decode(token, options={"verify_signature": False})


# --- Firebase -----------------------------------------------------------------

# Where firebase-admin fetches the public certificates of Firebase ID tokens.
GOOGLE_CERTIFICATES_URL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"


@dataclass(frozen=True)
class _KeyPair:
    private_key_pem: str
    certificate_pem: str


@functools.cache
def _key_pair(label: str) -> _KeyPair:
    # RSA generation is slow-ish (~100 ms); one pair per label per test session.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    # Wide validity on purpose: tests move the clock with time-machine.
    not_before = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    not_after = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return _KeyPair(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


@dataclass(frozen=True)
class FirebaseProject:
    """A stand-in Firebase project: a service account whose key signs ID tokens,
    and the certificate Google would publish for that key."""

    project_id: str = "pedometer-test"
    key_id: str = "test-key-1"

    @property
    def keys(self) -> _KeyPair:
        return _key_pair(self.key_id)

    def service_account(self) -> dict:
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.key_id,
            "private_key": self.keys.private_key_pem,
            "client_email": f"firebase-adminsdk@{self.project_id}.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token",
        }

    def write_credentials(self, directory: Path) -> Path:
        path = directory / "firebase-service-account.json"
        path.write_text(json.dumps(self.service_account()))
        return path

    def published_certificates(self) -> dict[str, str]:
        """The JSON body of Google's certificate endpoint: key id -> PEM certificate."""
        return {self.key_id: self.keys.certificate_pem}

    def id_token(
        self,
        *,
        uid: str,
        email: str | None = None,
        email_verified: bool = False,
        name: str | None = None,
        issued_at: dt.datetime | None = None,
        lifetime: dt.timedelta = dt.timedelta(hours=1),
        audience: str | None = None,
    ) -> str:
        """An ID token as the Firebase client SDK would hand one to the app."""
        issued = issued_at or dt.datetime.now(tz=dt.UTC)
        iat = int(issued.timestamp())
        claims: dict = {
            "iss": f"https://securetoken.google.com/{self.project_id}",
            "aud": audience or self.project_id,
            "auth_time": iat,
            "sub": uid,
            "user_id": uid,
            "iat": iat,
            "exp": iat + int(lifetime.total_seconds()),
            "firebase": {"sign_in_provider": "password"},
        }
        if email is not None:
            claims["email"] = email
            claims["email_verified"] = email_verified
        if name is not None:
            claims["name"] = name
        return jwt.encode(claims, self.keys.private_key_pem, algorithm="RS256", headers={"kid": self.key_id})


def websocket(
    path: str,
    *,
    token: str | None = None,
    bearer: str | None = None,
    origin: str | None = "http://localhost",
    accept_language: str | None = None,
):
    """A Channels test socket on the real ASGI application (origin check and
    token middleware included). ``token`` goes in the query, ``bearer`` in
    ``Sec-WebSocket-Protocol``, as a phone would send them."""
    from channels.testing import WebsocketCommunicator

    from pedometer_site.asgi import application

    headers = [(b"origin", origin.encode())] if origin else []
    if accept_language is not None:
        headers.append((b"accept-language", accept_language.encode()))
    subprotocols = None
    if token is not None:
        path += ("&" if "?" in path else "?") + f"token={token}"
    if bearer is not None:
        subprotocols = ["bearer", bearer]
        headers.append((b"sec-websocket-protocol", f"bearer, {bearer}".encode()))
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)


@dataclass
class RedisTraffic:
    """What this process sent to Redis: each socket write a round trip (a
    pipeline is one), each packed command a command."""

    sends: list[bytes] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def round_trips(self, touching: bytes = b"") -> int:
        """The round trips whose commands name ``touching`` (all of them by default)."""
        return sum(1 for sent in self.sends if touching in sent)


@contextmanager
def redis_traffic() -> Iterator[RedisTraffic]:
    """Counts the Redis round trips and commands of what runs inside (every client)."""
    traffic = RedisTraffic()
    send = AbstractConnection.send_packed_command
    packs = {serializer: serializer.pack for serializer in (HiredisRespSerializer, PythonRespSerializer)}

    def counting_send(self, command, check_health=True):
        traffic.sends.append(b"".join(command) if isinstance(command, list) else command)
        return send(self, command, check_health)

    def counting_pack(pack):
        def counted(self, *args):
            name = args[0]
            traffic.commands.append(name.decode() if isinstance(name, bytes) else str(name))
            return pack(self, *args)

        return counted

    AbstractConnection.send_packed_command = counting_send  # type: ignore[method-assign]
    for serializer, pack in packs.items():
        serializer.pack = counting_pack(pack)  # type: ignore[method-assign]
    try:
        yield traffic
    finally:
        AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
        for serializer, pack in packs.items():
            serializer.pack = pack  # type: ignore[method-assign]
