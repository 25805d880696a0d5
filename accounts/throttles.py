"""The sign-up throttle per client IP and the friend-request throttle per
user, in the cache (Redis in production, so every node shares the counts)."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from infrastructure.api.throttling import RateFromSettings


class _RateFromSettings(RateFromSettings, SimpleRateThrottle):
    pass


class RegisterIPThrottle(_RateFromSettings):
    """Sign-ups per client IP. (Sign-in doors are limited by their failures,
    in accounts/sign_in_guard.py.)"""

    scope = "register_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FriendRequestThrottle(RateFromSettings, UserRateThrottle):
    """Asking someone by email answers 404 when no account has it, like
    sign-up's 409: this rate keeps anyone from testing addresses in bulk
    (and from flooding people with requests)."""

    scope = "friend_request_user"


class PasswordResetIPThrottle(_RateFromSettings):
    """Reset e-mails asked for per client IP: each one mails someone, so an
    open form would let anyone flood an inbox or burn our sender's reputation."""

    scope = "password_reset_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetAddressThrottle(_RateFromSettings):
    """Reset e-mails per address asked for, from anywhere (hashed: a cache key
    carries no address). Counted whether or not an account has the address,
    so the limit tells nothing either."""

    scope = "password_reset_address"

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address.strip().lower()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(self.address.encode()).hexdigest()}
