"""Google's side of a push, faked at the HTTP boundary with `responses`.

firebase-admin runs for real: it signs a JWT with a locally made service
account key, trades it at the (fake) token endpoint, and POSTs each message
to the (fake) FCM v1 endpoint, where this fake records it and answers as FCM
would. Script a token's answers with ``fail(token, *errors)``: each call for
that token takes the next error; once they run out, calls succeed.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import responses

PROJECT_ID = "pedometer-test"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SEND_URL = f"https://fcm.googleapis.com/v1/projects/{PROJECT_ID}/messages:send"


@dataclass(frozen=True)
class FcmError:
    status: int
    grpc_status: str
    error_code: str | None = None  # FCM's own code, in the error's details

    def body(self) -> dict:
        error: dict = {"code": self.status, "message": f"fake {self.grpc_status}", "status": self.grpc_status}
        if self.error_code:
            error["details"] = [
                {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": self.error_code}
            ]
        return {"error": error}


UNAVAILABLE = FcmError(503, "UNAVAILABLE", "UNAVAILABLE")
INTERNAL = FcmError(500, "INTERNAL", "INTERNAL")
QUOTA_EXCEEDED = FcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED")
UNREGISTERED = FcmError(404, "NOT_FOUND", "UNREGISTERED")
INVALID_ARGUMENT = FcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT")
SENDER_ID_MISMATCH = FcmError(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH")


@dataclass
class FakeFcm:
    rsps: responses.RequestsMock
    calls: list[dict] = field(default_factory=list)  # every message POSTed, in order
    delivered: list[dict] = field(default_factory=list)  # the ones FCM accepted
    _script: dict[str, list[FcmError]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, token: str, *errors: FcmError) -> None:
        self._script[token].extend(errors)

    def calls_to(self, token: str) -> list[dict]:
        return [message for message in self.calls if message["token"] == token]

    def delivered_to(self, token: str) -> list[dict]:
        return [message for message in self.delivered if message["token"] == token]

    def _send(self, request) -> tuple[int, dict, str]:
        assert request.headers["Authorization"] == "Bearer fake-access-token"
        message = json.loads(request.body)["message"]
        with self._lock:
            self.calls.append(message)
            script = self._script[message["token"]]
            if script:
                error = script.pop(0)
                return error.status, {"content-type": "application/json"}, json.dumps(error.body())
            self.delivered.append(message)
            name = f"projects/{PROJECT_ID}/messages/{next(self._ids)}"
        return 200, {"content-type": "application/json"}, json.dumps({"name": name})


def install(rsps: responses.RequestsMock) -> FakeFcm:
    fake = FakeFcm(rsps)
    rsps.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": "fake-access-token", "expires_in": 3600, "token_type": "Bearer"},
    )
    rsps.add_callback(responses.POST, SEND_URL, callback=fake._send)
    return fake
