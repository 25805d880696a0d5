"""What every throttle here shares, and the per-user read rate every app's
read endpoints use."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class RateFromSettings:
    """Reads the throttle's rate from the settings on each request. DRF copies
    the rates onto the class at import, so a changed setting (and a test's
    override) would otherwise never take effect."""

    scope: str | None

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)


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
