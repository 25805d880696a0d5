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

And that thread is reused. Django gives each request a thread-sensitive
context of its own, which asgiref serves with a new one-thread executor: a
thread started and joined for every request (a tenth of the CPU of a
``GET /healthz``). Here each request gets an idle one-thread executor from a
per-process pool instead (``ThreadSensitiveContext(executor=...)``, which
asgiref supports for this), as a WSGI server's thread pool would. A request
still runs alone on its thread, and Django closes (here: pools) its database
connection at its end as ever.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class RequestThreads:
    """Idle one-thread executors, newest first; at most ``keep`` are kept."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def take(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads(keep=settings.ASGI_IDLE_REQUEST_THREADS)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain: Any = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # refuses it, as Django does
            return
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        except BaseException:
            # A request cancelled mid-way (the client went away) may leave its
            # sync code running on that thread: it finishes there, then the
            # thread stops. Only threads of requests that ran to the end return.
            executor.shutdown(wait=False)
            raise
        self.threads.give(executor)


def get_asgi_application() -> SyncChainASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the handler above."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
