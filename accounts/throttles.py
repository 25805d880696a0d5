"""The sign-up throttle per client IP and the friend-request throttle per
user, in the cache (Redis in production, so every node shares the counts)."""

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
