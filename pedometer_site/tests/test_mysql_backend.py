"""The MySQL backend: a request reuses a connection an earlier request left
clean, and never one that is dirty, dead or another process's."""

import os

import MySQLdb
import pytest
from django.db import ProgrammingError, connection, connections, transaction
from django.db.backends.signals import connection_created

from infrastructure.db.mysql_backend.base import ConnectionPool, pool_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def mysql_only():
    if connection.vendor != "mysql":
        pytest.skip("MySQL/MariaDB only")


def session_id(wrapper=connection) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def fresh_wrapper():
    """What a request's new thread gets under ASGI: a wrapper with no connection."""
    return connections.create_connection("default")


def next_request_session() -> int:
    """The database session the next request gets (and hands back when done)."""
    wrapper = fresh_wrapper()
    try:
        return session_id(wrapper)
    finally:
        wrapper.close()


def kill(session: int) -> None:
    settings = connection.settings_dict
    admin = MySQLdb.connect(host=settings["HOST"], port=int(settings["PORT"]), user=settings["USER"])
    try:
        admin.cursor().execute(f"KILL {int(session)}")
    finally:
        admin.close()


def test_a_fresh_connection_reads_the_server_version_without_a_second_connection():
    connection.ensure_connection()  # this process has met the server once
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection)

    fresh = fresh_wrapper()
    connection_created.connect(count)
    try:
        # Request code asks about the server before its first query (features, version checks).
        assert fresh.mysql_is_mariadb == connection.mysql_is_mariadb
        fresh.ensure_connection()
    finally:
        connection_created.disconnect(count)
        fresh.close()
    assert opened == [fresh]


def test_the_next_request_reuses_the_connection_the_last_one_closed():
    first = fresh_wrapper()
    before = session_id(first)
    first.close()

    second = fresh_wrapper()
    try:
        assert session_id(second) == before
        # Its session is as a new connection's: autocommit, read committed, strict.
        isolation_variable = "tx_isolation" if second.mysql_is_mariadb else "transaction_isolation"
        with second.cursor() as cursor:
            cursor.execute(f"SELECT @@autocommit, @@{isolation_variable}, @@sql_mode, @@sql_auto_is_null")
            autocommit, isolation, sql_mode, auto_is_null = cursor.fetchone()
        assert (autocommit, isolation, auto_is_null) == (1, "READ-COMMITTED", 0)
        assert "STRICT_TRANS_TABLES" in sql_mode
    finally:
        second.close()


def test_a_connection_closed_in_the_middle_of_a_transaction_is_not_reused():
    first = fresh_wrapper()
    first.set_autocommit(False)
    with first.cursor() as cursor:
        cursor.execute("SELECT 1 FROM accounts_user FOR UPDATE")
    before = session_id(first)
    first.close()

    assert next_request_session() != before


def test_a_connection_that_had_an_error_is_not_reused():
    first = fresh_wrapper()
    before = session_id(first)
    with pytest.raises(ProgrammingError), first.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    first.close()

    assert next_request_session() != before


def test_a_kept_connection_the_server_dropped_is_replaced_without_an_error():
    """A database restart or failover ends every kept session: the next
    request must not fail on one of them."""
    before = next_request_session()
    kill(before)

    assert next_request_session() != before  # no OperationalError: the dead one was pinged and dropped


def test_a_forked_worker_opens_its_own_connections():
    """A connection shared across a fork would interleave two processes' queries on one socket."""
    parents = next_request_session()  # kept in this process's pool

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            wrapper = fresh_wrapper()
            os.write(write, str(session_id(wrapper)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    childs = int(os.read(read, 64) or b"0")
    os.close(read)

    assert childs not in (0, parents)
    assert next_request_session() == parents  # and the parent's session still works


def test_the_pool_keeps_at_most_its_size_and_hands_out_the_newest_first():
    pool = ConnectionPool(size=2)
    assert pool.give("a") and pool.give("b")
    assert not pool.give("c")  # the caller closes it
    assert [pool.take(), pool.take(), pool.take()] == ["b", "a", None]


def test_each_database_has_its_own_pool():
    other = {**connection.settings_dict, "NAME": "some_other_database"}
    assert pool_for(other) is not pool_for(connection.settings_dict)


def statements_sent(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
        return int(cursor.fetchone()[1])


def test_a_transaction_costs_two_statements_around_its_own():
    """Every sync is one transaction: turning autocommit off and on again
    around it would be two more round trips on every request that writes."""

    connection.ensure_connection()
    before = statements_sent(connection)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM accounts_user FOR UPDATE")
    after = statements_sent(connection)

    # START TRANSACTION, the SELECT, COMMIT, and the status query that counted them.
    assert after - before == 4


def test_a_transaction_holds_its_locks_until_it_commits_and_leaves_the_session_in_autocommit():

    other = fresh_wrapper()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO django_content_type (app_label, model) VALUES ('bench', 'uncommitted')")
            with other.cursor() as cursor:  # read committed: the other session does not see it yet
                cursor.execute("SELECT COUNT(*) FROM django_content_type WHERE model = 'uncommitted'")
                assert cursor.fetchone()[0] == 0
        with other.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_content_type WHERE model = 'uncommitted'")
            assert cursor.fetchone()[0] == 1
        # Outside atomic() a write is committed by itself, as Django promises.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_content_type WHERE model = 'uncommitted'")
        with other.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_content_type WHERE model = 'uncommitted'")
            assert cursor.fetchone()[0] == 0
    finally:
        other.close()


def test_a_rolled_back_transaction_leaves_nothing_and_the_connection_is_reused_clean():

    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_content_type (app_label, model) VALUES ('bench', 'rolled_back')")
        raise RuntimeError("the sync failed")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_content_type WHERE model = 'rolled_back'")
        assert cursor.fetchone()[0] == 0
