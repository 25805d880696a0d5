"""What a load balancer polls. /healthz does no I/O; /readyz checks what a
request needs, each with a short timeout, and names what failed.

Only the database takes a node out of service (503). Redis and the read
replica serve every node alike, so when one of them is down, pulling nodes
out of the load balancer would help nobody and turn a cache outage into a
total outage: /readyz then answers 200 with ``"status": "degraded"`` and
names them in ``"degraded"``, and the app runs without them (cache misses,
throttles fail open, reads go to the primary)."""

from __future__ import annotations

import logging
import time

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django_redis import get_redis_connection

from . import metrics
from .db.replica import REPLICA, replica_configured, replica_health
from .redis_clients import redis_configured

logger = logging.getLogger(__name__)

# Dependencies without which a node cannot serve; the rest only degrade it.
REQUIRED = frozenset({"database"})


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    get_redis_connection("default").ping()


def _check_replica() -> None:
    if not replica_health.available():
        raise ConnectionError("replica unreachable; reads use the primary")
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT 1")


def readiness_checks() -> dict:
    checks = {"database": _check_database}
    if redis_configured():
        checks["redis"] = _check_redis
    if replica_configured():
        checks["replica"] = _check_replica
    return checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict] = {}
    for name, check in readiness_checks().items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure means "not there", whatever raised it
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
        metrics.DEPENDENCY_UP.labels(dependency=name).set(1 if results[name]["ok"] else 0)
    failed = sorted(name for name, result in results.items() if not result["ok"] and name in REQUIRED)
    degraded = sorted(name for name, result in results.items() if not result["ok"] and name not in REQUIRED)
    body: dict = {"status": "unavailable" if failed else "degraded" if degraded else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    if degraded:
        body["degraded"] = degraded
    return JsonResponse(body, status=503 if failed else 200)
