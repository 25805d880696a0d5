"""Django's ASGI handler, running each request's middleware and view in one
thread hop instead of seven.

Every view and middleware here is synchronous. Django's ASGI handler builds
an async middleware chain, and each ``MiddlewareMixin`` in it (security,
sessions, CSRF, auth, messages, Prometheus...) then crosses from the event
loop to a thread and back for ``process_request`` and again for
``process_response``. A sync-only middleware in the chain adds a crossing
the other way, and the view one more. Each crossing is a handoff between
threads that waits on the event loop, and on a busy node those waits are
the tail of every request's latency.

This handler builds the chain exactly as Django's WSGI handler does (sync
throughout, async views adapted by Django as under WSGI) and calls it in
one ``sync_to_async`` hop, in the thread-sensitive thread Django gives the
request. Reading the body, sending the response (streaming included) and
the request signals stay Django's own ASGI code.
"""

from __future__ import annotations

from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain: Any = sync_to_async(self._middleware_chain, thread_sensitive=True)


def get_asgi_application() -> SyncChainASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the handler above."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
