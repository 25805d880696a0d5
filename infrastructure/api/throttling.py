"""What every throttle here shares, and the per-user read rate every app's
read endpoints use."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from infrastructure import redis_clients

logger = logging.getLogger(__name__)

# DRF's sliding window (a request counts for ``duration`` seconds after it was
# made), kept as a sorted set of request times. DRF keeps it as a pickled list
# in the cache: a GET and a SET, two round trips, on every throttled request
# (every sync and every read). This is one.
_HISTORY = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return {1, count + 1, '0'}
"""

_scripts: dict[tuple[str, str], Any] = {}


def _history_script() -> Any:
    where = (redis_clients.where(), settings.REDIS_KEY_PREFIX)
    if where not in _scripts:
        client = redis_clients.sync_client(socket_timeout=1, socket_connect_timeout=1)
        _scripts[where] = client.register_script(_HISTORY)
    return _scripts[where]


if TYPE_CHECKING:
    _Base = SimpleRateThrottle
else:  # a mixin: the throttle classes put SimpleRateThrottle after it
    _Base = object


class RateFromSettings(_Base):
    """Reads the throttle's rate from the settings on each request (DRF copies
    the rates onto the class at import, so a changed setting, and a test's
    override, would otherwise never take effect), and counts in Redis in one
    round trip when there is one (the embedded default counts in memory, as
    DRF does)."""

    scope: str | None
    num_requests: int  # set by SimpleRateThrottle from the rate
    duration: int

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if not redis_clients.redis_configured():
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        member = f"{self.now!r}:{secrets.token_hex(4)}"
        try:
            allowed, count, oldest = _history_script()(
                keys=[f"{settings.REDIS_KEY_PREFIX}:{self.key}"],
                args=[repr(self.now), self.duration, self.num_requests, member],
            )
        except redis.RedisError:
            # As the cache does when Redis is down: the request goes on, logged.
            logger.warning("throttle %s: Redis unreachable, not counted", self.scope, exc_info=True)
            return True
        self._counted, self._oldest = int(count), float(oldest)
        return bool(allowed) or self.throttle_failure()

    def wait(self) -> float | None:
        if not hasattr(self, "_counted"):
            return super().wait()
        # DRF's answer for the same history: the time until the oldest request
        # leaves the window, shared among the requests that will then be free.
        available = self.num_requests - self._counted + 1
        if available <= 0:
            return None
        return (self.duration - (self.now - self._oldest)) / available


class ReadThrottle(RateFromSettings, UserRateThrottle):
    """``THROTTLE_READ_USER`` per user, one budget for every read (steps,
    rankings, profile, friends, devices): generous for an app or a polling
    page, a 429 for a script scraping the API. Only reads count, so a view may
    list it for all its methods."""

    scope = "read_user"

    def allow_request(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
