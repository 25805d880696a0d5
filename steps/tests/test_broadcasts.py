"""Live broadcasts are best effort: a channel layer that is down never fails a sync."""

import logging
from datetime import UTC, date, datetime

import pytest

from infrastructure import metrics
from pedometer_site.tests.testing import make_user
from steps.models import DayTotal
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_sync_is_stored_when_the_channel_layer_is_down_and_the_failure_is_counted(settings, caplog):
    # Nothing listens on port 1: every connection to this "Redis" is refused.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    user = make_user()
    failures_before = metrics.LIVE_BROADCAST_FAILURES._value.get()
    with caplog.at_level(logging.WARNING, logger="steps.broadcasts"):
        (change,) = record_steps(user=user, days=[DaySample(date(2026, 11, 25), 5000)], now=NOW)
    assert change.new_total == 5000
    assert DayTotal.objects.get(user=user).steps == 5000
    assert metrics.LIVE_BROADCAST_FAILURES._value.get() == failures_before + 1
    assert "could not broadcast" in caplog.text
