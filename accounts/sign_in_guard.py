"""One guard for every door that checks a secret: the API's login, the
``/login/`` page, the admin's login, Firebase sign-in, token refresh, and the
password checks of a password change and of deleting the account.

Built on django-axes: its authentication backend refuses a locked-out attempt
before any password is checked, its middleware turns a refusal into a 429,
and Django's ``user_login_failed`` / ``user_logged_in`` signals feed it. Doors
that do not go through ``authenticate()`` (Firebase, refresh, the password
checks of a signed-in user) call ``check()`` and ``failed()`` here, which
drive the same handler.

What axes' stock handlers cannot do is give each key its own rule (they take
the worst count of all keys against one limit, so counting per account locks
the owner out from anywhere). ``SignInGuardHandler`` counts failures, in the
shared cache (Redis in production, so every node agrees), under three keys:

- **per (account, client IP), strict**: ``SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP``
  (5) failures and that pair waits ``SIGN_IN_COOLOFF_SECONDS`` (15 min). Stops
  guessing one account from one address, and locks out only that address.
- **per client IP, any account**: ``SIGN_IN_FAILURES_PER_IP`` (30) failures and
  the address waits the cool-off. Stops one address trying many accounts.
- **per account, from anywhere, loose**: past ``SIGN_IN_FAILURES_PER_ACCOUNT``
  (20) failures within a day, each further failure makes the account wait a
  delay that doubles (1 s, 2 s, 4 s, ... at most ``SIGN_IN_ACCOUNT_DELAY_MAX``,
  300 s). Stops many addresses (a botnet) guessing one account quickly, while
  its owner waits at most that delay, never a lockout.

A refused attempt checks no secret and is not counted (it would only extend
the wait). A success clears only its (account, IP) count: clearing the
address or account counts would let an attacker reset them by signing in to
an account of their own between guesses.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cache
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle

from infrastructure.api.errors import DomainError, error_body

logger = logging.getLogger(__name__)

ACCOUNT_WINDOW_SECONDS = 24 * 3600


class SignInThrottledError(DomainError):
    status_code = 429
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Too many failed sign-in attempts. Try again in %(seconds)d s.") % {"seconds": retry_after})
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str:
    """The address the API's throttles use too (``NUM_PROXIES``: a forged
    ``X-Forwarded-For`` is ignored unless a proxy of ours stands in front)."""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # it reads only META, which a Django request has


def account_of(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The account an attempt names, as the user model compares it (without
    case), so ``ADA@example.com`` and ``ada@example.com`` share a count."""
    name = (credentials or {}).get("username")
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip().lower()


@dataclass(frozen=True)
class _Rule:
    kind: str
    limit: int
    cooloff: float  # seconds the key stays locked once over the limit (account: the cap)
    window: float  # seconds a failure is remembered
    growing: bool = False

    def wait_after(self, failures: int) -> float:
        if failures < self.limit:
            return 0
        if self.growing:
            return min(2.0 ** (failures - self.limit), self.cooloff)
        return self.cooloff


def _rules() -> list[_Rule]:
    cooloff = settings.SIGN_IN_COOLOFF_SECONDS
    return [
        _Rule("pair", settings.SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP, cooloff, cooloff),
        _Rule("ip", settings.SIGN_IN_FAILURES_PER_IP, cooloff, cooloff),
        _Rule(
            "account",
            settings.SIGN_IN_FAILURES_PER_ACCOUNT,
            settings.SIGN_IN_ACCOUNT_DELAY_MAX,
            ACCOUNT_WINDOW_SECONDS,
            growing=True,
        ),
    ]


def _digest(*parts: str) -> str:
    # Hashed: a cache key should carry neither an address nor an email.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class SignInGuardHandler(AbstractAxesHandler, AxesBaseHandler):
    """``AXES_HANDLER``: the three counts above, in axes' cache."""

    @property
    def cache(self):
        # Looked up on each use: axes keeps one handler per process, and Django's
        # cache objects are per thread (and tests change CACHES).
        return get_cache()

    def _keys(self, request: HttpRequest, credentials: dict | None) -> list[tuple[_Rule, str]]:
        # No address at all (a request built in code, e.g. a test's force_login): one shared key.
        ip = getattr(request, "axes_ip_address", None) or client_ip(request) or "-"
        account = account_of(request, credentials)
        keys = []
        for rule in _rules():
            if rule.kind == "ip":
                keys.append((rule, f"sign-in:ip:{_digest(ip)}"))
            elif account is not None:
                parts = (account, ip) if rule.kind == "pair" else (account,)
                keys.append((rule, f"sign-in:{rule.kind}:{_digest(*parts)}"))
        return keys

    def retry_after(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Seconds until this attempt may be made; 0 if it may be made now."""
        now = time.time()
        untils = self.cache.get_many([f"{key}:until" for _, key in self._keys(request, credentials)])
        wait = max((until - now for until in untils.values()), default=0)
        return math.ceil(wait) if wait > 0 else 0

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return self.retry_after(request, credentials) > 0

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counts = self.cache.get_many([key for _, key in self._keys(request, credentials)])
        return max(counts.values(), default=0)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            logger.error("sign-in guard: a failed sign-in came without its request; not counted")
            return
        AxesProxyHandler.update_request(request)
        request.axes_credentials = credentials
        if request.axes_locked_out:
            return  # refused before any secret was checked: not a guess
        now = time.time()
        for rule, key in self._keys(request, credentials):
            timeout = math.ceil(rule.window)
            if self.cache.add(key, 1, timeout=timeout):
                failures = 1
            else:
                try:
                    failures = self.cache.incr(key)
                except ValueError:  # expired between add and incr
                    self.cache.add(key, 1, timeout=timeout)
                    failures = 1
                self.cache.touch(key, timeout=timeout)
            wait = rule.wait_after(failures)
            if wait:
                until = now + wait
                self.cache.set(f"{key}:until", until, timeout=math.ceil(wait) + 1)
                logger.warning("sign-in guard: %s count at %d, next attempt in %.0f s", rule.kind, failures, wait)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        if request is None:
            return
        AxesProxyHandler.update_request(request)
        credentials = {"username": user.get_username()}
        for rule, key in self._keys(request, credentials):
            if rule.kind == "pair":
                self.cache.delete_many([key, f"{key}:until"])

    def user_logged_out(self, sender, request, user, **kwargs) -> None:
        pass

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """``manage.py axes_reset_ip`` / ``axes_reset_username``: lifts the counts
        of that address, or that account (with every address it was tried from
        that the caller names)."""
        keys = []
        if ip_address:
            keys.append(f"sign-in:ip:{_digest(ip_address)}")
        if username:
            account = username.strip().lower()
            keys.append(f"sign-in:account:{_digest(account)}")
            if ip_address:
                keys.append(f"sign-in:pair:{_digest(account, ip_address)}")
        self.cache.delete_many(keys + [f"{key}:until" for key in keys])
        return len(keys)


def _handler() -> SignInGuardHandler:
    return AxesProxyHandler.get_implementation()


def check(request: HttpRequest, *, username: str | None) -> None:
    """Before checking a secret that is not a password given to
    ``authenticate()``: raises ``SignInThrottledError`` if this attempt must wait."""
    credentials = {"username": username}
    if not AxesProxyHandler.is_allowed(request, credentials):
        # What axes' middleware reads to answer 429 (axes sets them on the request too).
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        raise SignInThrottledError(max(1, _handler().retry_after(request, credentials)))


def failed(request: HttpRequest, *, username: str | None) -> None:
    """A secret was wrong: counts it, as a failed ``authenticate()`` would."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def refused(request: HttpRequest, username: str | None) -> SignInThrottledError | None:
    """After ``authenticate()`` returned nobody: the throttle error when the
    guard refused the attempt (rather than the password being wrong)."""
    if not getattr(request, "axes_locked_out", False):
        return None
    return SignInThrottledError(max(1, _handler().retry_after(request, {"username": username})))


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what a refused attempt gets, at any door."""
    wait = max(1, _handler().retry_after(request, credentials))
    message = _("Too many failed sign-in attempts. Try again in %(seconds)d s.") % {"seconds": wait}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("throttled", message, retry_after=wait), status=429)
    else:
        # A page, not a bare status: the person at the form learns why and for how long.
        response = render(request, "registration/locked_out.html", {"wait_message": wait_message(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def wait_message(seconds: int) -> str:
    """How long a person must wait, in minutes (seconds mean little to someone at a form)."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes) % {
        "minutes": minutes
    }
