"""A fresh copy of the `make cluster` topology for a test module: its own
folder under ``var/`` and free ports, so it runs beside `make cluster` and
beside another test's cluster."""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator

from scripts.cluster import ROOT, Cluster, Ports


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def fresh_cluster(name: str, *, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Up on entry (``cluster.startup_seconds`` says how long it took), down on exit."""
    ports = Ports.from_list(free_ports(Ports.count()))
    cluster = Cluster(base_dir=ROOT / "var" / name, ports=ports, collectstatic=False, quiet=True, env=env or {})
    cluster.down()  # anything a killed earlier run left behind
    shutil.rmtree(cluster.base_dir, ignore_errors=True)
    try:
        cluster.startup_seconds = cluster.up()
        yield cluster
    finally:
        cluster.down()
    assert not any(cluster.running().values())
