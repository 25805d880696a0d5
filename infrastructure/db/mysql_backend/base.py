"""Django's MySQL/MariaDB backend, with connections kept open between requests.

Under ASGI every request runs its sync code in a thread of its own, so it
gets a fresh ``DatabaseWrapper``, and Django's persistent connections
(``CONN_MAX_AGE``) do not apply: they live in a thread that ends with the
request. Left alone, every request would connect anew, set up the session
(autocommit, ``SQL_AUTO_IS_NULL``, isolation level) and, before that, open a
*second* connection just to read the server's version. On loopback that is
four round trips and a handshake, about a millisecond of every request.

So this backend keeps, per process, a small pool of open connections per
server and database:

- closing a connection that is in autocommit mode, outside any transaction
  and without errors puts it back in the pool (up to ``DB_POOL_SIZE``, then it
  is really closed); anything else is really closed;
- a connection taken from the pool is pinged first, exactly as Django checks
  a persistent connection (``CONN_HEALTH_CHECKS``), so one that the server
  dropped (a restart, a failover) is thrown away instead of failing a query;
- its session needs no set-up again: it was set up when it was opened, and
  only clean sessions come back;
- the server's version and modes are read once per process and server.

A child process (a forked worker) starts with empty pools: connections
opened before the fork belong to the parent.
"""

from __future__ import annotations

import contextlib
import os
import threading

from django.conf import settings
from django.db.backends.mysql import base
from django.utils.functional import cached_property

Database = base.Database

_server_data: dict[tuple[str, str, str], dict] = {}
_lock = threading.Lock()


class ConnectionPool:
    """Open connections to one database, newest last (reused first, so a
    quiet node lets the oldest idle out at the server instead of keeping
    every connection half-warm)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list = []
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return self._idle.pop() if self._idle else None

    def give(self, connection) -> bool:
        """Keeps ``connection`` for a later request; False when the pool is full."""
        with self._lock:
            if len(self._idle) >= self.size:
                return False
            self._idle.append(connection)
            return True


_pools: dict[tuple, ConnectionPool] = {}
# Connections a forked child inherited: never used, and never closed either,
# since closing sends QUIT over a socket the parent still uses.
_inherited: list = []


def _forget_pools_in_child() -> None:
    for pool in _pools.values():
        _inherited.extend(pool._idle)
        pool._idle.clear()


os.register_at_fork(after_in_child=_forget_pools_in_child)


def pool_for(settings_dict: dict) -> ConnectionPool:
    key = tuple(str(settings_dict[part]) for part in ("HOST", "PORT", "USER", "NAME"))
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.setdefault(key, ConnectionPool(settings.DB_POOL_SIZE))
    return pool


class DatabaseWrapper(base.DatabaseWrapper):
    _reused = False

    @cached_property
    def mysql_server_data(self) -> dict:
        server = (str(self.settings_dict["HOST"]), str(self.settings_dict["PORT"]), str(self.settings_dict["USER"]))
        data = _server_data.get(server)
        if data is None:
            data = base.DatabaseWrapper.mysql_server_data.func(self)
            with _lock:
                _server_data[server] = data
        return data

    def get_new_connection(self, conn_params):
        pool = pool_for(self.settings_dict)
        while (connection := pool.take()) is not None:
            try:
                connection.ping()
            except Database.Error:
                _close_quietly(connection)
                continue
            self._reused = True
            return connection
        self._reused = False
        return super().get_new_connection(conn_params)

    def init_connection_state(self) -> None:
        if not self._reused:
            super().init_connection_state()

    def _start_transaction_under_autocommit(self) -> None:
        # ``atomic()`` would turn the session's autocommit off, then commit, then
        # turn it back on: three round trips. An explicit transaction in an
        # autocommit session is the same transaction in two (START, COMMIT),
        # and the session needs nothing restored afterwards. Django does the
        # same for SQLite; savepoints work inside it as usual.
        with self.wrap_database_errors, self.connection.cursor() as cursor:
            cursor.execute("START TRANSACTION")

    def _set_autocommit(self, autocommit: bool) -> None:
        # The client knows the session's mode from the server's status flags:
        # asking the server to set what is already set is a wasted round trip.
        with self.wrap_database_errors:
            already = self.connection.get_autocommit() == autocommit
        if not already:
            super()._set_autocommit(autocommit)

    def _close(self) -> None:
        connection = self.connection
        if connection is not None and self._clean() and pool_for(self.settings_dict).give(connection):
            return
        super()._close()

    def _clean(self) -> bool:
        if self.in_atomic_block or self.errors_occurred or self.needs_rollback:
            return False
        try:
            return bool(self.connection.get_autocommit())
        except Database.Error:
            return False


def _close_quietly(connection) -> None:
    with contextlib.suppress(Database.Error):
        connection.close()
