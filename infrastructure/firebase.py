"""The one place that builds the firebase-admin app, lazily, from settings."""

from __future__ import annotations

import contextlib
import threading

import firebase_admin
from django.conf import settings
from firebase_admin import credentials

APP_NAME = "pedometer"
# Threaded workers (and threaded tests) may build the app at the same moment;
# firebase-admin refuses a second initialize_app under the same name.
_init_lock = threading.Lock()


def firebase_app() -> firebase_admin.App | None:
    """The configured app, or None when FIREBASE_CREDENTIALS is unset."""
    if not settings.FIREBASE_CREDENTIALS:
        return None
    with _init_lock:
        try:
            return firebase_admin.get_app(APP_NAME)
        except ValueError:
            cert = credentials.Certificate(settings.FIREBASE_CREDENTIALS)
            return firebase_admin.initialize_app(cert, name=APP_NAME)


def reset_firebase_app() -> None:
    """Forget the app (and its cached Google certificates); the next call rebuilds it."""
    with contextlib.suppress(ValueError):
        firebase_admin.delete_app(firebase_admin.get_app(APP_NAME))
