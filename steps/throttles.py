"""Per-user request rates for the steps API, counted in the cache (Redis in
production, so every node shares the counts). Generous: a phone syncing every
few seconds, or the leaderboard page polling, never meets them; a script
hammering the API does, and gets 429 with Retry-After."""

from rest_framework.throttling import UserRateThrottle

from infrastructure.api.throttling import RateFromSettings


class SyncThrottle(RateFromSettings, UserRateThrottle):
    scope = "sync_user"


class ReadThrottle(RateFromSettings, UserRateThrottle):
    scope = "read_user"
