"""Sign-in and sign-up throttles, per client IP and per account, and the
friend-request throttle per user, in the cache (Redis in production, so
every node shares the counts)."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from infrastructure.api.throttling import RateFromSettings


class _RateFromSettings(RateFromSettings, SimpleRateThrottle):
    pass


class AuthIPThrottle(_RateFromSettings):
    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterIPThrottle(AuthIPThrottle):
    scope = "register_ip"


class AuthAccountThrottle(_RateFromSettings):
    """Counts attempts against one email, wherever they come from."""

    scope = "auth_account"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: a cache key should not carry an address, nor its odd characters.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FriendRequestThrottle(RateFromSettings, UserRateThrottle):
    """Asking someone by email answers 404 when no account has it, like
    sign-up's 409: this rate keeps anyone from testing addresses in bulk
    (and from flooding people with requests)."""

    scope = "friend_request_user"
