"""The one error shape every API response uses, and the domain exceptions.

    {"error": {"code": "validation_error", "message": "...", "fields": {...}}}

Services raise ``DomainError`` subclasses; DRF raises its own exceptions; both
end up in ``api_exception_handler`` and leave as that shape.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

StrOrPromise = str | Promise  # a message, or one translated when it is shown


class DomainError(Exception):
    """A rule of the product was broken; the message is safe to show."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidInputError(DomainError):
    """Input that passed the serializer but breaks a rule (a weak password, a
    wrong current password): a 400 like any other validation error."""

    code = "validation_error"


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class ServiceUnavailableError(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body too large.")
    default_code = "request_too_large"


# DRF's own codes are kept where they are clear; these say more.
_DRF_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten_fields(detail: Any) -> Any:
    """DRF nests errors as lists and dicts of ErrorDetail; keep the nesting,
    turn every leaf into a plain string.

    A list of items (``many=True``) comes from DRF as one dict per item, empty
    for the valid ones; it leaves keyed by index with the valid items dropped,
    ``{"days": {"3": {"steps": [...]}}}``, the shape services use for the same
    mistakes, so a client reads type errors and rule errors alike."""
    if isinstance(detail, dict):
        return {str(key): _flatten_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if any(isinstance(item, dict | list) for item in detail):
            return {str(index): _flatten_fields(item) for index, item in enumerate(detail) if item}
        return [_flatten_fields(item) for item in detail]
    return str(detail)


def validation_error_parts(exc: exceptions.ValidationError) -> tuple[str, dict[str, Any]]:
    """The message and the fields a client sees for a DRF validation error
    (over REST, or over a socket that validates with the same serializer)."""
    detail = exc.detail
    fields = _flatten_fields(detail if isinstance(detail, dict) else {"non_field_errors": detail})
    return validation_message(fields), fields


def validation_message(fields: dict[str, Any]) -> str:
    """What the error says to people about these fields."""
    if set(fields) == {"non_field_errors"}:
        first = fields["non_field_errors"]
        return first[0] if isinstance(first, list) and first else _("Invalid input.")
    names = ", ".join(sorted(fields))  # field names stay English, like the keys of "fields"
    return _("Invalid input in: %(fields)s.") % {"fields": names}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        retry_after = getattr(exc, "retry_after", None)  # a domain 429 (the sign-in guard)
        domain_extra = {"retry_after": retry_after} if retry_after else {}
        domain_response = Response(
            error_body(exc.code, exc.message, exc.fields, **domain_extra), status=exc.status_code
        )
        if retry_after:
            domain_response["Retry-After"] = str(retry_after)
        return domain_response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500

    code = next(
        (name for cls, name in _DRF_CODES.items() if isinstance(exc, cls)),
        getattr(exc, "default_code", "error"),
    )
    detail = getattr(exc, "detail", None)
    extra: dict[str, Any] = {}
    fields: dict[str, Any] | None
    if isinstance(exc, exceptions.ValidationError):
        message, fields = validation_error_parts(exc)
    else:
        fields = None
        if isinstance(detail, dict):
            # simplejwt puts a dict here: {"detail": ..., "code": ..., "messages": [...]}
            message = str(detail.get("detail", _("Request failed.")))
            code = str(detail.get("code", code))
        else:
            message = str(detail) if detail else _("Request failed.")
        wait = getattr(exc, "wait", None)  # Throttled sets it in __init__; its stub does not say so
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            extra["retry_after"] = max(1, int(wait + 0.999))
            response["Retry-After"] = str(extra["retry_after"])
            # DRF formats the number into its msgid before looking it up, so no
            # catalogue can translate it; the same English sentence, translatable.
            message = " ".join(
                (
                    _("Request was throttled."),
                    ngettext(
                        "Expected available in %(wait)d second.", "Expected available in %(wait)d seconds.", int(wait)
                    )
                    % {"wait": int(wait)},
                )
            )
    response.data = error_body(code, message, fields, **extra)
    return response


def json_error_view(status_code: int, code: str, message: StrOrPromise):
    def view(request, exception=None):
        return JsonResponse(error_body(code, str(message)), status=status_code)

    return view


handler404_json = json_error_view(404, "not_found", gettext_lazy("Not found."))
handler500_json = json_error_view(500, "server_error", gettext_lazy("Something went wrong on our side."))

# What Django's own error pages become on an API path.
_PAGE_ERRORS: dict[int, tuple[str, StrOrPromise]] = {
    400: ("bad_request", gettext_lazy("Bad request.")),
    403: ("permission_denied", gettext_lazy("You do not have permission to perform this action.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("Method not allowed.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side.")),
}


def api_error_shape_middleware(get_response):
    """On ``/api/`` paths, an HTML error page (Django's debug pages under
    ``DEBUG``, its plain 400/403 pages) leaves as the JSON error shape.

    With ``DEBUG`` off, ``handler404``/``handler500`` already answer JSON; with
    it on Django skips them for its technical pages, and a client of the API
    (or the schema fuzz run against a development server) would get HTML with
    a traceback. Django has logged the error by the time the page reaches here.
    """

    def middleware(request):
        response = get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            code, message = _PAGE_ERRORS.get(response.status_code, ("error", gettext_lazy("Request failed.")))
            # This middleware sits outside the one that chose the page's language
            # (infrastructure.i18n): speak the language the page said it spoke.
            with translation.override(response.get("Content-Language") or None):
                shaped = JsonResponse(error_body(code, str(message)), status=response.status_code)
            for header in ("Content-Language", "Vary"):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    return middleware
