"""Request-wide database behaviour: a fresh primary pin per request, and a
503 (never a 500 or a hang) while the database cannot be reached or a
transaction keeps conflicting."""

from __future__ import annotations

import contextlib
import logging
import random
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from infrastructure import metrics
from infrastructure.api.errors import error_body

from . import replica, transactions
from .transactions import is_conflict, is_database_outage

logger = logging.getLogger(__name__)


# The outage a view met, kept on the request so the middleware can run it again.
def _outage(request: HttpRequest) -> BaseException | None:
    return getattr(request, "database_outage", None)


def _set_outage(request: HttpRequest, exception: BaseException | None) -> None:
    setattr(request, "database_outage", exception)  # noqa: B010 - HttpRequest declares no such attribute


def database_unavailable_response() -> HttpResponse:
    retry_after = settings.DB_UNAVAILABLE_RETRY_AFTER
    body = error_body(
        "database_unavailable",
        _("The service is briefly unavailable. Please retry shortly."),
        retry_after=retry_after,
    )
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def database_busy_response() -> HttpResponse:
    body = error_body("database_busy", _("Too many changes at once. Please retry shortly."), retry_after=1)
    response = JsonResponse(body, status=503)
    response["Retry-After"] = "1"
    return response


# Requests that may simply run again when the database connection died under
# them: reads, and the sync (max-wins, so storing it twice changes nothing).
# The same rule as the load balancer's retries (scripts/cluster.py).
REPLAYABLE_POSTS = frozenset({"/api/v1/steps/sync"})
# Sleeps before running such a request again (each jittered to 50-100 %): in a
# Galera failover HAProxy cuts every session to the dead node about 1 s after
# the kill, and a request caught mid-query then runs again on the next node.
REPLAY_DELAYS = (0.3, 0.8)


def _replayable(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") or (request.method == "POST" and request.path in REPLAYABLE_POSTS)


class DatabaseOutageMiddleware:
    """Turns a lost database connection in a view into a 503 in the error
    shape with ``Retry-After``, after running a replayable request again a
    couple of times (a failover cuts connections mid-request; the next
    connection reaches the node that took over). Recovery needs nothing more:
    at the end of the request Django closes a connection that had errors and
    no longer answers, and kept connections are pinged before reuse
    (``conn_health_checks``), so the next request connects afresh.

    A transaction that keeps conflicting gets a 503 ``database_busy``."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        transactions.forget_outage()
        if not _replayable(request):
            return self._answer(request, self.get_response(request))
        request.body  # noqa: B018 - read now, so that a second run can parse it again
        for delay in REPLAY_DELAYS:
            _set_outage(request, None)
            response = self.get_response(request)
            if _outage(request) is None or transactions.gave_up_on_outage():
                return self._answer(request, response)
            metrics.DATABASE_RETRIES.labels(reason="request").inc()
            logger.info("database lost under %s %s (%s); running it again", request.method, request.path,
                        _outage(request))  # fmt: skip
            with contextlib.suppress(DatabaseError):
                connections[DEFAULT_DB_ALIAS].close()
            time.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
        _set_outage(request, None)
        return self._answer(request, self.get_response(request))

    def _answer(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        exception = _outage(request)
        if exception is not None:
            logger.warning("database unreachable on %s %s: %s", request.method, request.path, exception)
            metrics.DATABASE_UNAVAILABLE.inc()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_conflict(exception):
            # Still conflicting after the retries (infrastructure/db/transactions.py), or a lock wait ran out.
            logger.warning("database conflict on %s %s: %s", request.method, request.path, exception)
            metrics.DATABASE_BUSY.inc()
            return database_busy_response()
        if not is_database_outage(exception):
            return None
        _set_outage(request, exception)
        return database_unavailable_response()


def primary_pin_middleware(get_response):
    """Every request starts with its reads free to use the replica; the
    router pins the rest of the request to the primary at its first write."""

    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            replica.reset_routing()
            return await get_response(request)

        return markcoroutinefunction(async_middleware)

    def middleware(request: HttpRequest) -> HttpResponse:
        replica.reset_routing()
        return get_response(request)

    return middleware


primary_pin_middleware.sync_capable = True  # type: ignore[attr-defined]  # Django reads these flags off the function
primary_pin_middleware.async_capable = True  # type: ignore[attr-defined]
