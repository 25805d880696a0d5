"""Request-wide database behaviour: a fresh primary pin per request, and a
503 (never a 500 or a hang) while the database cannot be reached or a
transaction keeps conflicting."""

from __future__ import annotations

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import metrics, replica
from .errors import error_body
from .transactions import is_conflict, is_database_outage

logger = logging.getLogger(__name__)


def database_unavailable_response() -> HttpResponse:
    retry_after = settings.DB_UNAVAILABLE_RETRY_AFTER
    body = error_body(
        "database_unavailable",
        "The service is briefly unavailable. Please retry shortly.",
        retry_after=retry_after,
    )
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def database_busy_response() -> HttpResponse:
    body = error_body("database_busy", "Too many changes at once. Please retry shortly.", retry_after=1)
    response = JsonResponse(body, status=503)
    response["Retry-After"] = "1"
    return response


class DatabaseOutageMiddleware:
    """Turns a lost database connection in a view into a 503 in the error
    shape with ``Retry-After``. Recovery needs nothing more: at the end of
    the request Django closes a connection that had errors and no longer
    answers, and kept connections are pinged before reuse
    (``conn_health_checks``), so the next request connects afresh."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_conflict(exception):
            # Still conflicting after the retries (pedometer_site/transactions.py), or a lock wait ran out.
            logger.warning("database conflict on %s %s: %s", request.method, request.path, exception)
            metrics.DATABASE_BUSY.inc()
            return database_busy_response()
        if not is_database_outage(exception):
            return None
        logger.warning("database unreachable on %s %s: %s", request.method, request.path, exception)
        metrics.DATABASE_UNAVAILABLE.inc()
        return database_unavailable_response()


def primary_pin_middleware(get_response):
    """Every request starts with its reads free to use the replica; the
    router pins the rest of the request to the primary at its first write."""

    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            replica.reset_routing()
            return await get_response(request)

        markcoroutinefunction(middleware)
    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            replica.reset_routing()
            return get_response(request)

    return middleware


primary_pin_middleware.sync_capable = True
primary_pin_middleware.async_capable = True
