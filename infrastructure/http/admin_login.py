"""Admin sign-in attempts, counted per client IP and per username in the cache
(Redis in production, so every node shares the counts). Beyond either rate the
login page answers 429 with Retry-After and checks no password at all."""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's reading of "5/min" (it takes no throttle instance for it)."""
    # parse_rate reads no state of its throttle: no instance (it would read the settings) is needed.
    limit, period = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
    assert limit is not None and period is not None  # a rate string always gives both
    return limit, period


def _client_ip(request: HttpRequest) -> str:
    # The same choice of address as the API's throttles (NUM_PROXIES); get_ident
    # reads only META, which a Django request has as a DRF one does.
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


def _over_rate(key: str, rate: str, now: float) -> int | None:
    """Counts one attempt in a fixed window; returns seconds to wait when over."""
    limit, period = _parse_rate(rate)
    window = int(now // period)
    cache_key = f"admin-login:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is down: fail open
        return None
    if count > limit:
        return max(1, int((window + 1) * period - now))
    return None


def throttled(login_view):
    @functools.wraps(login_view)
    def view(request: HttpRequest, *args, **kwargs):
        if request.method == "POST":
            now = time.time()
            username = (request.POST.get("username") or "").strip().lower()
            keys = [(f"ip:{_client_ip(request)}", settings.ADMIN_LOGIN_RATE_IP)]
            if username:
                # Hashed: a cache key should not carry an address.
                digest = hashlib.sha256(username.encode()).hexdigest()
                keys.append((f"account:{digest}", settings.ADMIN_LOGIN_RATE_ACCOUNT))
            waits = [wait for key, rate in keys if (wait := _over_rate(key, rate, now)) is not None]
            if waits:
                response = HttpResponse(
                    "Too many sign-in attempts. Try again later.\n", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(max(waits))
                return response
        return login_view(request, *args, **kwargs)

    return view
