"""Request-wide database behaviour: a fresh primary pin per request, and a
503 (never a 500 or a hang) while the database cannot be reached."""

from __future__ import annotations

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from infrastructure import metrics
from infrastructure.api.errors import error_body

from . import replica

logger = logging.getLogger(__name__)

# MySQL/MariaDB client and server error codes that mean "the server is not
# there (any more)", as opposed to a bad query or a lock timeout.
CONNECTION_LOST_CODES = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1836,  # running in read-only mode (a primary being demoted)
        1927,  # connection was killed
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2005,  # unknown server host
        2006,  # server has gone away
        2012,  # error in server handshake
        2013,  # lost connection during query
        2026,  # SSL connection error
        2055,  # lost connection at reading initial communication packet
        4031,  # disconnected by the server for inactivity
    }
)


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):  # a connection that is already closed
        return True
    if isinstance(exc, OperationalError):
        code = exc.args[0] if exc.args else None
        return code in CONNECTION_LOST_CODES
    return False


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
        if not is_database_outage(exception):
            return None
        logger.warning("database unreachable on %s %s: %s", request.method, request.path, exception)
        metrics.DATABASE_UNAVAILABLE.inc()
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
