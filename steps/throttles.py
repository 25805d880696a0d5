"""Per-user request rates for the steps API, counted in the cache (Redis in
production, so every node shares the counts). Generous: a phone syncing every
few seconds, or the leaderboard page polling, never meets them; a script
hammering the API does, and gets 429 with Retry-After."""

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class _UserRateFromSettings(UserRateThrottle):
    # DRF copies the rates onto the class at import; read them live instead so
    # a changed setting (and a test's override) takes effect.
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class SyncThrottle(_UserRateFromSettings):
    scope = "sync_user"


class ReadThrottle(_UserRateFromSettings):
    scope = "read_user"
