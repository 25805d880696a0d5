"""What every throttle here shares."""

from rest_framework.settings import api_settings


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
