"""Per-user rates on syncs and reads: beyond them a 429 with Retry-After, in
the one error shape; each user and each kind of call counts on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pedometer_site.tests.testing import client_for, make_user
from steps.models import DayTotal

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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/rankings/day", "/api/v1/me", "/api/v1/friends/", "/api/v1/friends/requests", "/api/v1/devices"]
)
def test_every_read_endpoint_shares_the_per_user_read_rate(path):
    client = client_for(make_user())
    for _ in range(4):
        assert client.get(path).status_code == 200
    refused = client.get(path)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert client_for(make_user()).get(path).status_code == 200  # each user counts on their own


@pytest.mark.django_db
def test_writes_beside_a_read_do_not_spend_the_read_rate():
    client = client_for(make_user())
    for n in range(6):
        assert client.patch("/api/v1/me", {"display_name": f"Name {n}"}, format="json").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_the_window_slides_a_sync_counts_for_a_minute_after_it_was_made():
    import time_machine

    client = client_for(make_user())
    start = timezone.now().replace(microsecond=0)
    for second in (0, 20, 40):
        with time_machine.travel(start + timedelta(seconds=second), tick=False):
            assert client.post(SYNC, BODY, format="json").status_code == 200
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        refused = client.post(SYNC, BODY, format="json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "10"  # until the sync made at 0 s leaves the window
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.post(SYNC, BODY, format="json").status_code == 200
        # The refused one did not count; the syncs made at 20 s, 40 s and 61 s do.
        assert client.post(SYNC, BODY, format="json").status_code == 429


@pytest.mark.django_db
def test_syncs_are_not_throttled_but_stored_while_redis_is_down(settings, caplog):
    from pedometer_site.tests.servers import free_port

    user = make_user()
    client = client_for(user)
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    answers = [client.post(SYNC, {"days": [{**BODY["days"][0], "steps": n}]}, format="json").status_code
               for n in range(10, 15)]  # fmt: skip
    assert answers == [200] * 5
    assert "Redis unreachable" in caplog.text
    assert DayTotal.objects.get(user=user).steps == 14


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_concurrent_reads_gets_exactly_the_rate_and_no_more():
    """Counting is one atomic step in Redis: concurrent requests of one user
    cannot each read the same history and all slip through."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    user = make_user()

    def read(_):
        try:
            return client_for(user).get("/api/v1/steps/summary").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(read, range(16)))
    assert sorted(answers) == [200] * 4 + [429] * 12  # read_user: 4/min here
