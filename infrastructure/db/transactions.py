"""Which database errors mean what, and a transaction that is run again when
running it again is both safe and likely to work.

Behind HAProxy in front of Galera, two kinds of failure end a transaction
that would succeed a moment later:

- **the node went away** (SIGKILL, a crash, it left the Primary component):
  the connection is lost (2006, 2013) or the node refuses work (1047).
  HAProxy sends the next connection to the next Synced node;
- **a conflict**: another node committed the same rows first (a Galera
  certification failure) or InnoDB picked this transaction as a deadlock's
  victim. Both arrive as 1213, and the transaction was rolled back whole.

After a lost connection the commit may or may not have landed, so only
idempotent work may be retried: a sync is (max-wins: storing the same counts
twice changes nothing). Retries are bounded; past them the caller gets the
error, which the middleware turns into a 503 with ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections, transaction

from infrastructure import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")

# MySQL/MariaDB client and server error codes that mean "the server is not
# there (any more)", as opposed to a bad query or a lock timeout.
CONNECTION_LOST_CODES = frozenset(
    {
        1040,  # too many connections
        1047,  # WSREP has not yet prepared node for application use (Galera: not in the Primary component)
        1053,  # server shutdown in progress
        1836,  # running in read-only mode (a primary being demoted)
        1927,  # connection was killed
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2005,  # unknown server host
        2006,  # server has gone away
        2012,  # error in server handshake
        2013,  # lost connection during query
        2026,  # SSL connection error
        2055,  # lost connection at reading initial communication packet
        4031,  # disconnected by the server for inactivity
    }
)
DEADLOCK = 1213  # InnoDB deadlock victim, or a Galera certification conflict
LOCK_WAIT_TIMEOUT = 1205

# Sleeps between attempts (each jittered to 50-100 %): about 3 s in all,
# enough to ride out a Galera node's SIGKILL (HAProxy marks it down in ~1 s,
# the survivors evict it in ~2-3 s; README, "Chaos test").
RETRY_DELAYS = (0.1, 0.3, 0.6, 1.0, 1.5)

# Set when run_idempotent_transaction gave up on a lost database: the request
# around it should not be run again too (infrastructure/db/middleware.py), or the
# waits would multiply while the database is really down.
_gave_up_on_outage: ContextVar[bool] = ContextVar("pedometer_gave_up_on_outage", default=False)


def gave_up_on_outage() -> bool:
    return _gave_up_on_outage.get()


def forget_outage() -> None:
    """A new request starts with nothing given up on."""
    _gave_up_on_outage.set(False)


def _code(exc: BaseException) -> int | None:
    return exc.args[0] if isinstance(exc, OperationalError) and exc.args else None


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):  # a connection that is already closed
        return True
    return _code(exc) in CONNECTION_LOST_CODES


def is_conflict(exc: BaseException) -> bool:
    """A deadlock or certification conflict (rolled back; safe to run again),
    or a lock wait that timed out."""
    return _code(exc) in (DEADLOCK, LOCK_WAIT_TIMEOUT)


def _retryable(exc: BaseException) -> bool:
    # Not a lock wait timeout: it already waited 10 s, and waiting again is no answer.
    return is_database_outage(exc) or _code(exc) == DEADLOCK


def run_idempotent_transaction(
    work: Callable[[bool], T], *, using: str = DEFAULT_DB_ALIAS, delays: tuple[float, ...] = RETRY_DELAYS
) -> T:
    """Runs ``work(retried)`` in ``transaction.atomic()``, again after a lost
    connection or a conflict, up to ``len(delays)`` more times. ``retried`` is
    True from the second attempt on: an earlier attempt may have committed
    without the caller hearing of it (so its on-commit work never ran).

    Inside an outer transaction it runs once: a retry would have to repeat
    work that is not ours to repeat."""
    connection = connections[using]
    if connection.in_atomic_block:
        return work(False)
    for attempt, delay in enumerate((*delays, None)):
        try:
            with transaction.atomic(using=using):
                return work(attempt > 0)
        except DatabaseError as exc:
            if delay is None or not _retryable(exc):
                if is_database_outage(exc):
                    _gave_up_on_outage.set(True)
                raise
            metrics.DATABASE_RETRIES.labels(reason="conflict" if _code(exc) == DEADLOCK else "connection").inc()
            logger.info("database: retrying a transaction after %s (attempt %d)", exc, attempt + 1)
            if is_database_outage(exc):
                # The next attempt connects afresh, through the proxy, to whichever node now takes writes.
                with contextlib.suppress(DatabaseError):
                    connection.close()
            time.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("unreachable")
