"""Each request (a fresh connection under ASGI) opens one database connection, not two."""

import pytest
from django.db import connection, connections
from django.db.backends.signals import connection_created


@pytest.mark.django_db
def test_a_fresh_connection_reads_the_server_version_without_a_second_connection():
    if connection.vendor != "mysql":
        pytest.skip("MySQL/MariaDB only")
    connection.ensure_connection()  # this process has met the server once
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection)

    fresh = connections.create_connection("default")  # what a request's new thread gets
    connection_created.connect(count)
    try:
        # Request code asks about the server before its first query (features, version checks).
        assert fresh.mysql_is_mariadb == connection.mysql_is_mariadb
        fresh.ensure_connection()
    finally:
        connection_created.disconnect(count)
        fresh.close()
    assert opened == [fresh]
