"""The FCM sender: the one module that talks to firebase-admin messaging.

It sends and classifies; what to do about each outcome (retry, deactivate a
token, give up) is decided in ``services``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from firebase_admin import exceptions, messaging

from infrastructure import metrics
from infrastructure.firebase import firebase_app

logger = logging.getLogger(__name__)

# FCM's limit for one send_each call.
BATCH_SIZE = 500
# Stored as the message id of a push that was logged instead of sent.
LOGGED = "logged"

# The token will never work again: stop using it.
_TOKEN_GONE = (messaging.UnregisteredError, messaging.SenderIdMismatchError, exceptions.InvalidArgumentError)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # unavailable, internal, quota, or anything unexpected: try later
    GONE = "gone"  # the token will never work again


@dataclass(frozen=True)
class Push:
    token: str
    title: str
    body: str
    data: dict[str, str]
    # Phones show one notification per key, so a duplicate delivery replaces rather than repeats.
    collapse_key: str


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    message_id: str = ""
    error: str = ""


def send_pushes(pushes: Sequence[Push]) -> list[PushResult]:
    """Sends each push; one result per push, in order. Never raises for FCM's errors."""
    app = firebase_app()
    if app is None:
        for push in pushes:
            logger.info(
                "push not sent (FIREBASE_CREDENTIALS unset): token=%s... title=%r body=%r data=%s",
                push.token[:12],
                push.title,
                push.body,
                push.data,
            )
        return [PushResult(Outcome.SENT, message_id=LOGGED) for _ in pushes]

    results: list[PushResult] = []
    for start in range(0, len(pushes), BATCH_SIZE):
        chunk = pushes[start : start + BATCH_SIZE]
        try:
            batch = messaging.send_each([_message(push) for push in chunk], app=app)
        except exceptions.FirebaseError as exc:
            # The whole call failed (e.g. Google's token endpoint is down): every push is owed still.
            logger.warning("FCM send_each failed: %s", exc)
            results.extend(PushResult(Outcome.RETRY, error=_describe(exc)) for _ in chunk)
            metrics.NOTIFICATIONS_FAILED.inc(len(chunk))
            continue
        results.extend(_result(response) for response in batch.responses)
        metrics.NOTIFICATIONS_SENT.inc(batch.success_count)
        metrics.NOTIFICATIONS_FAILED.inc(batch.failure_count)
    return results


def _message(push: Push) -> messaging.Message:
    # `token` is deprecated in firebase-admin 7.7 in favour of `fid`, but the
    # apps register FCM registration tokens (getToken()), which is what `token` targets.
    return messaging.Message(
        token=push.token,
        notification=messaging.Notification(title=push.title, body=push.body),
        data=push.data,
        android=messaging.AndroidConfig(collapse_key=push.collapse_key, priority="high"),
        apns=messaging.APNSConfig(headers={"apns-collapse-id": push.collapse_key}),
    )


def _result(response: messaging.SendResponse) -> PushResult:
    if response.success:
        return PushResult(Outcome.SENT, message_id=response.message_id)
    exc = response.exception
    if isinstance(exc, _TOKEN_GONE):
        return PushResult(Outcome.GONE, error=_describe(exc))
    return PushResult(Outcome.RETRY, error=_describe(exc))


def _describe(exc: BaseException | None) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
