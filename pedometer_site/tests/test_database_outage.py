"""The database primary goes away under a real server: API requests get a
503 in the error shape with Retry-After (never a 500, never a hang), and the
node serves again by itself once the database is back."""

import time

import httpx
import pytest

from accounts.services import tokens_for
from pedometer_site.tests.testing import make_user

from .servers import Server, database_url_for_tests, server_env
from .tcp_proxy import TcpProxy

CONNECT_TIMEOUT = 1


@pytest.fixture
def proxy(transactional_db, django_db_setup):
    from django.db import connections

    db = connections["default"].settings_dict
    proxy = TcpProxy(int(db["PORT"] or 3306), target_host=db["HOST"] or "127.0.0.1").start()
    yield proxy
    proxy.stop()


@pytest.fixture
def server(proxy):
    env = server_env(
        DATABASE_URL=database_url_for_tests(port=proxy.port),
        DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        DB_UNAVAILABLE_RETRY_AFTER="7",
    )
    server = Server(env=env)
    yield server
    server.stop()


def me(server: Server, access: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {access}"}, timeout=30)


def test_requests_get_503_with_retry_after_while_the_database_is_down_and_200_once_it_is_back(server, proxy):
    access = tokens_for(make_user()).access
    assert me(server, access).status_code == 200

    proxy.stop()  # the primary is gone: listener and open connections
    response = me(server, access)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.json()["error"]["retry_after"] == 7
    assert httpx.get(f"{server.url}/readyz").status_code == 503

    proxy.start()  # same port: the primary is back
    assert me(server, access).status_code == 200
    assert httpx.get(f"{server.url}/readyz").status_code == 200


def test_a_database_that_accepts_but_never_answers_costs_a_503_after_the_connect_timeout(server, proxy):
    access = tokens_for(make_user()).access
    proxy.blackhole = True  # connections are accepted and then nothing: no greeting, no error
    started = time.monotonic()
    response = me(server, access)
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    # Bounded by the connect timeout, not by the client's patience (30 s here).
    assert waited < CONNECT_TIMEOUT + 4, f"waited {waited:.1f}s"
