"""Which reads may go to the read replica, and whether it is there.

A read goes to the replica (the "replica" database alias, configured by
``DATABASE_REPLICA_URL``) only when all of these hold:

- it runs inside ``reading_from_replica()``: the caller says seconds of lag
  are fine (history, the leaderboard's SQL fallback, admin lists);
- nothing in this request or task has written yet (the first write pins the
  rest of the request to the primary, so people read their own writes), and
  no transaction is open on the primary;
- the replica answers. A failed probe (short connect timeout) is remembered
  for ``DB_REPLICA_RETRY_SECONDS``; meanwhile reads go to the primary, with
  no error to the user, and ``pedometer_replica_fallbacks_total`` counts them.

Use it as a context manager or as a decorator::

    with reading_from_replica():
        rows = list(DailySteps.objects.filter(...))

    @reading_from_replica()
    def history(*, user, start, end) -> list[DayTotal]: ...

As a decorator it also survives the replica dying mid-call: the function runs
again on the primary (reads are safe to repeat). ``infrastructure.db.router``
applies these rules; the middleware resets the pin for every request.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Self, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from infrastructure import metrics

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

_in_replica_scope: ContextVar[bool] = ContextVar("pedometer_in_replica_scope", default=False)
_pinned_to_primary: ContextVar[bool] = ContextVar("pedometer_pinned_to_primary", default=False)

F = TypeVar("F", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in connections.settings


def pin_to_primary() -> None:
    """Send every later read of this request or task to the primary."""
    _pinned_to_primary.set(True)


def pinned_to_primary() -> bool:
    return _pinned_to_primary.get()


def reset_routing() -> None:
    """A new request or task starts unpinned."""
    _pinned_to_primary.set(False)


class ReplicaHealth:
    """Remembers, per process, that the replica failed, so that while it is
    down no read pays for another connection attempt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_until = 0.0

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self, exc: BaseException) -> None:
        with self._lock:
            first = not self.is_down()
            self._down_until = time.monotonic() + settings.DB_REPLICA_RETRY_SECONDS
        if first:
            logger.warning(
                "read replica unreachable (%s: %s); reading from the primary for %ss",
                type(exc).__name__,
                exc,
                settings.DB_REPLICA_RETRY_SECONDS,
            )

    def mark_up(self) -> None:
        with self._lock:
            self._down_until = 0.0

    def available(self) -> bool:
        """True when this thread has, or can open, a replica connection."""
        if not replica_configured() or self.is_down():
            return False
        connection = connections[REPLICA]
        if connection.connection is not None:
            return True
        try:
            connection.ensure_connection()
        except (OperationalError, InterfaceError) as exc:
            self.mark_down(exc)
            return False
        return True


replica_health = ReplicaHealth()


def alias_for_read() -> str:
    if not _in_replica_scope.get() or not replica_configured():
        return PRIMARY
    if _pinned_to_primary.get() or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    if not replica_health.available():
        metrics.REPLICA_FALLBACKS.inc()
        return PRIMARY
    return REPLICA


def _replica_failed() -> bool:
    """After a database error in scope: was it the replica's connection?"""
    if not replica_configured():
        return False
    connection = connections[REPLICA]
    if connection.connection is None or connection.is_usable():
        return False
    replica_health.mark_down(OperationalError("replica connection lost mid-read"))
    connection.close()
    return True


class _ReplicaScope:
    """Sets whether reads inside may use the replica; restores the outer scope on exit."""

    reads_replica: bool

    def __init__(self) -> None:
        self._token: Token[bool] | None = None

    def __enter__(self) -> Self:
        self._token = _in_replica_scope.set(self.reads_replica)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _in_replica_scope.reset(self._token)


class reading_from_replica(_ReplicaScope):  # noqa: N801 - named like the context manager it is
    """Reads inside may come from the replica (see the module docstring)."""

    reads_replica = True

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # A fresh scope object per call: one instance may serve many threads.
            with reading_from_replica():
                try:
                    return func(*args, **kwargs)
                except (OperationalError, InterfaceError):
                    if not _replica_failed():
                        raise
            metrics.REPLICA_FALLBACKS.inc()
            with primary_only():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class primary_only(_ReplicaScope):  # noqa: N801 - named like the context manager it is
    """Reads inside go to the primary, even within an outer replica scope."""

    reads_replica = False


class ReplicaChangelistMixin:
    """For ModelAdmin: list pages (GET) read from the replica; actions
    (POST) and every other admin page stay on the primary."""

    def changelist_view(self, request, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return super().changelist_view(request, extra_context)
        with reading_from_replica():
            response = super().changelist_view(request, extra_context)
            # The rows are read while the template renders: render in scope.
            if hasattr(response, "render"):
                response.render()
        return response
