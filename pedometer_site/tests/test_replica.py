"""Lag-tolerant reads come from the replica, inside an explicit scope only;
writes and a request's reads after its first write go to the primary; an
unreachable replica costs the user nothing.

The replica here is a real second database on the same server, holding a
row the primary lacks, so every assertion can tell where a read went."""

import contextlib
import copy

import pytest
from django.db import connections
from prometheus_client import REGISTRY

from accounts.models import User
from infrastructure.db import replica
from infrastructure.db.replica import primary_only, reading_from_replica, replica_health
from pedometer_site.tests.testing import make_user

from .servers import free_port
from .tcp_proxy import TcpProxy

ONLY_ON_REPLICA = "only-on-replica@example.com"


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])


def fallbacks() -> float:
    return REGISTRY.get_sample_value("pedometer_replica_fallbacks_total") or 0.0


@pytest.fixture(scope="module", autouse=True)
def replica_database(django_db_setup, django_db_blocker):
    """A second database on the same server, with the users table, as the
    "replica" alias (it must exist before a test may name it)."""
    primary = connections["default"].settings_dict
    name = f"{primary['NAME']}_replica"
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute(f"CREATE TABLE `{name}`.`accounts_user` LIKE `{primary['NAME']}`.`accounts_user`")
    connections.settings[replica.REPLICA] = {**copy.deepcopy(primary), "NAME": name}
    yield connections.settings[replica.REPLICA]
    connections[replica.REPLICA].close()
    del connections.settings[replica.REPLICA]
    delattr(connections._connections, replica.REPLICA)
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(autouse=True)
def fresh_routing():
    replica_health.mark_up()
    replica.reset_routing()
    yield
    replica_health.mark_up()


@pytest.fixture
def admin_client_for(client, settings):
    # Admin pages need static file names; no collectstatic manifest under test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def replica_db(replica_database):
    """The replica holds one user the primary lacks."""
    User.objects.db_manager(replica.REPLICA).create_user(ONLY_ON_REPLICA, display_name="Replica")
    replica.reset_routing()  # that write pinned this test's context, as it would a request's
    yield replica_database["NAME"]
    # flush skips it: the router allows no tables on the replica
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user")


@contextlib.contextmanager
def replica_at(**where):
    """Point the replica alias elsewhere for a while (then back, so the
    test's teardown can flush it)."""
    settings_dict = connections[replica.REPLICA].settings_dict
    saved = {key: settings_dict[key] for key in where}
    connections[replica.REPLICA].close()
    settings_dict.update(where)
    try:
        yield
    finally:
        connections[replica.REPLICA].close()
        settings_dict.update(saved)


@pytest.fixture
def unreachable_replica(replica_database):
    with replica_at(HOST="127.0.0.1", PORT=str(free_port())):
        yield


def on_replica() -> bool:
    return User.objects.filter(email=ONLY_ON_REPLICA).exists()


def test_reads_in_scope_come_from_the_replica(replica_db):
    assert on_replica() is False
    with reading_from_replica():
        assert on_replica() is True
        with primary_only():
            assert on_replica() is False
    assert on_replica() is False


def test_writes_go_to_the_primary_and_pin_later_reads_there(replica_db):
    with reading_from_replica():
        assert on_replica() is True
        make_user(email="new@example.com")
        # Read-your-writes: after the first write, reads in scope use the primary.
        assert User.objects.filter(email="new@example.com").exists()
        assert on_replica() is False
    assert not User.objects.db_manager(replica.REPLICA).filter(email="new@example.com").exists()
    replica.reset_routing()  # the next request starts unpinned
    with reading_from_replica():
        assert on_replica() is True


def test_decorated_reads_use_the_replica(replica_db):
    @reading_from_replica()
    def emails() -> set[str]:
        return set(User.objects.values_list("email", flat=True))

    assert ONLY_ON_REPLICA in emails()


def test_admin_user_list_reads_from_the_replica(replica_db, admin_client_for):
    client = admin_client_for(make_user(is_staff=True, is_superuser=True))
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert ONLY_ON_REPLICA in response.content.decode()


def test_unreachable_replica_falls_back_to_the_primary_without_an_error(unreachable_replica, admin_client_for):
    client = admin_client_for(make_user(is_staff=True, is_superuser=True, email="boss@example.com"))
    before = fallbacks()
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "boss@example.com" in response.content.decode()
    assert fallbacks() > before
    assert replica_health.is_down()  # remembered: the next reads do not probe again


def test_replica_lost_mid_call_reruns_the_decorated_read_on_the_primary(replica_db, replica_database):
    proxy = TcpProxy(int(replica_database["PORT"] or 3306), target_host=replica_database["HOST"] or "127.0.0.1")

    @reading_from_replica()
    def replica_user_exists() -> bool:
        return on_replica()

    with replica_at(HOST="127.0.0.1", PORT=str(proxy.start().port)):
        try:
            assert replica_user_exists() is True
            proxy.stop()  # the open replica connection dies
            before = fallbacks()
            assert replica_user_exists() is False  # answered by the primary, no error
            assert fallbacks() > before
        finally:
            proxy.stop()
