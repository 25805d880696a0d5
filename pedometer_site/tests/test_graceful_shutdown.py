"""SIGTERM to an app node (uvicorn, as `make run` and the cluster start it):
it stops accepting, finishes what it had started, and closes WebSockets with
1012 (service restart) so clients reconnect to another node."""

import json
import signal
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pedometer_site.tests.testing import PASSWORD, make_user

from .servers import Server, port_open


@pytest.fixture
def server(transactional_db):
    server = Server(app="pedometer_site.tests.echo_asgi:application")
    yield server
    server.stop()


def wait_until(predicate, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def exited_by_itself(server: Server) -> bool:
    # uvicorn re-raises the signal once it has shut down cleanly.
    return server.process.wait(15) in (0, -signal.SIGTERM)


def test_sigterm_finishes_a_request_in_flight_and_refuses_new_connections(server):
    user = make_user()
    body = json.dumps({"email": user.email, "password": PASSWORD}).encode()
    head = (
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as slow:
        slow.sendall(head + body[:10])  # the request has started; its body is still arriving
        time.sleep(0.3)
        server.signal(signal.SIGTERM)
        assert wait_until(lambda: not port_open(server.port)), "still accepting after SIGTERM"
        slow.sendall(body[10:])
        response = b""
        while chunk := slow.recv(65536):
            response += chunk
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 200 OK"
    assert b'"access"' in rest
    assert exited_by_itself(server)


def test_sigterm_closes_websockets_with_1012_service_restart(server):
    with connect(f"ws://127.0.0.1:{server.port}/test/echo", origin="http://localhost", open_timeout=5) as ws:
        ws.send("ping")
        assert ws.recv(timeout=5) == "ping"
        server.signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
    assert exited_by_itself(server)
