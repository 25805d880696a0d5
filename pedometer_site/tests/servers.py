"""Real ASGI server processes on loopback for tests that need a real server
lifecycle (signals, connection handling, request boundaries)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connections

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def database_url_for_tests(*, port: int | None = None) -> str:
    """The test database (as pytest-django named it), optionally via another port."""
    db = connections["default"].settings_dict
    user = db["USER"] or "root"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"mysql://{user}{password}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 3306}/{db['NAME']}"


def server_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "SECRET_KEY": settings.SECRET_KEY,  # tokens the test signs must verify there
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(overrides)
    return env


class Server:
    """``python -m uvicorn <app>`` on a free loopback port; stop() is bounded."""

    def __init__(
        self,
        *,
        app: str = "pedometer_site.asgi:application",
        env: dict[str, str] | None = None,
        flags: list[str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port)]
        args += (
            flags
            if flags is not None
            else ["--lifespan", "off", "--no-access-log", "--timeout-graceful-shutdown", "10"]
        )
        self.process = subprocess.Popen(args, cwd=BASE_DIR, env=env or server_env())  # noqa: S603
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.1)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode
