"""Per-user rates on syncs and reads: beyond them a 429 with Retry-After, in
the one error shape; each user and each kind of call counts on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pedometer_site.tests.testing import client_for, make_user

SYNC = "/api/v1/steps/sync"
# Yesterday in UTC is a syncable day in every zone, whatever the real date.
BODY = {"days": [{"date": (timezone.now() - timedelta(days=1)).date().isoformat(), "steps": 10}]}


@pytest.fixture(autouse=True)
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sync_user": "3/min",
            "read_user": "4/min",
        },
    }


@pytest.mark.django_db
def test_syncing_faster_than_the_rate_gets_429_with_retry_after():
    client = client_for(make_user())
    for _ in range(3):
        assert client.post(SYNC, BODY, format="json").status_code == 200
    refused = client.post(SYNC, BODY, format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "throttled"
    assert error["retry_after"] == int(refused["Retry-After"])


@pytest.mark.django_db
def test_one_users_flood_does_not_throttle_another():
    flooder, other = client_for(make_user()), client_for(make_user())
    for _ in range(4):
        flooder.post(SYNC, BODY, format="json")
    assert other.post(SYNC, BODY, format="json").status_code == 200


@pytest.mark.django_db
def test_reads_have_their_own_rate_shared_by_every_read_endpoint():
    client = client_for(make_user())
    for _ in range(3):
        client.post(SYNC, BODY, format="json")
    for path in ("/api/v1/steps/days", "/api/v1/steps/hours", "/api/v1/steps/summary", "/api/v1/steps/days"):
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/steps/summary").status_code == 429
    assert client.post(SYNC, BODY, format="json").status_code == 429  # its own count, already spent
