"""The topology `make cluster` starts, end to end: HAProxy in front of three
app nodes, a three-node Galera cluster behind its own HAProxy, Redis with a
replica and three Sentinels, and a worker. A request through the load
balancer succeeds, and a node killed with SIGKILL under steady traffic
leaves the pool without a single failed request.

Slow for a test (about 50 s): deselect with ``-m "not cluster"``."""

import threading
import time

import httpx
import pytest

from pedometer_site.tests.clusters import fresh_cluster
from scripts.cluster import wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster():
    # One client calls back to back, faster than a person's read rate: not a throttle test.
    with fresh_cluster("cluster-test", env={"THROTTLE_READ_USER": "1000000/min"}) as cluster:
        yield cluster


class SteadyClient(threading.Thread):
    """One client calling the API back to back, recording every outcome."""

    def __init__(self, base_url: str, access: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {access}"}, timeout=10)
        self.outcomes: list[tuple[float, str]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                outcome = str(self.client.get("/api/v1/me").status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            self.outcomes.append((time.monotonic(), outcome))
        self.client.close()


def test_requests_pass_through_haproxy_and_a_killed_node_leaves_without_failures(cluster, capsys):
    assert httpx.get(f"{cluster.lb_url}/readyz").json()["checks"]["replica"]["ok"] is True
    signup = {"email": "walker@example.com", "password": "correct-horse-battery", "display_name": "Walker"}
    response = httpx.post(f"{cluster.lb_url}/api/v1/auth/register", json=signup, timeout=10)
    assert response.status_code == 201, response.text

    steady = SteadyClient(cluster.lb_url, response.json()["access"])
    steady.start()
    time.sleep(1.5)
    killed_at = time.monotonic()
    cluster.kill_node(1)
    wait_for(lambda: cluster.backend_states()["node1"].startswith("DOWN"), 10, "node1 DOWN in HAProxy")
    out_after = time.monotonic() - killed_at
    time.sleep(2)
    steady.stopping.set()
    steady.join(15)

    failures = [outcome for _, outcome in steady.outcomes if outcome != "200"]
    after_kill = sum(1 for at, _ in steady.outcomes if at >= killed_at)
    with capsys.disabled():
        print(
            f"\ncluster: up in {cluster.startup_seconds:.1f}s; killed node out of HAProxy after {out_after:.2f}s; "
            f"{len(steady.outcomes)} requests ({after_kill} after the kill), {len(failures)} failed"
        )
    assert failures == []
    assert after_kill > 10
    assert cluster.backend_states() == {"node1": "DOWN", "node2": "UP", "node3": "UP"}
