"""Sign-in and sign-up throttles, per client IP and per account, in the cache
(Redis in production, so every node shares the counts)."""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _RateFromSettings(SimpleRateThrottle):
    # DRF copies the rates onto the class at import; read them live instead so
    # a changed setting (and a test's override) takes effect.
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


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
