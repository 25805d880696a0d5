"""The language a signed-in person chose wins over their browser's
``Accept-Language`` (which Django's LocaleMiddleware already applied)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


def user_language_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = get_response(request)
        if chosen:
            response.headers["Content-Language"] = chosen
        return response

    return middleware
