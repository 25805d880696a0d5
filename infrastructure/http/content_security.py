"""Content-Security-Policy for the HTML pages.

The leaderboard and the admin load only their own scripts and connect their
WebSockets to the host that served them. The API docs (Swagger UI, ReDoc)
start from an inline script and ReDoc runs a blob: worker, so those two pages,
and only they, get a looser policy. JSON responses need none.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

_COMMON = (
    "default-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
PAGE_POLICY = "; ".join((*_COMMON, "script-src 'self'", "style-src 'self'", "connect-src 'self' ws: wss:"))
# The admin's own templates (and the activity chart) set style attributes; scripts stay 'self'.
ADMIN_POLICY = "; ".join((*_COMMON, "script-src 'self'", "style-src 'self' 'unsafe-inline'", "connect-src 'self'"))
DOCS_POLICY = "; ".join(
    (
        *_COMMON,
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    )
)
DOCS_PREFIXES = ("/api/docs/", "/api/redoc/")


def policy_for(path: str) -> str:
    if path.startswith(DOCS_PREFIXES):
        return DOCS_POLICY
    if path.startswith("/admin/"):
        return ADMIN_POLICY
    return PAGE_POLICY


def _with_policy(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.get("Content-Type", "").startswith("text/html"):
        response.setdefault("Content-Security-Policy", policy_for(request.path))
    return response


class ContentSecurityPolicyMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self._acall(request)
        return _with_policy(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return _with_policy(request, await self.get_response(request))
