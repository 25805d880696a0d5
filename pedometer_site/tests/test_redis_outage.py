"""With Redis down the cache misses and the throttles fail open: sign-in
keeps working (never a 500), and the failures are logged."""

import logging

import pytest
from django.core.cache import cache

from pedometer_site.tests.testing import PASSWORD, make_user

from .test_health import redis_down  # noqa: F401 - a fixture


@pytest.mark.django_db
def test_sign_in_works_while_redis_is_down_and_the_miss_is_logged(api, redis_down, caplog):  # noqa: F811
    user = make_user()
    with caplog.at_level(logging.ERROR, logger="django_redis.cache"):
        response = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert "access" in response.json()
    assert any("Exception ignored" in record.getMessage() or record.exc_info for record in caplog.records)


@pytest.mark.django_db
def test_cache_reads_miss_and_writes_vanish_while_redis_is_down(redis_down):  # noqa: F811
    cache.set("leaderboard:today", [1, 2, 3])
    assert cache.get("leaderboard:today") is None
    assert cache.get("leaderboard:today", "fallback") == "fallback"
