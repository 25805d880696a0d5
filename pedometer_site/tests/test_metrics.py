from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from pedometer_site.tests.testing import client_for, make_user, signed_in, websocket

SYNCS_REST = 'pedometer_syncs_total{via="rest"}'
SYNCS_SOCKET = 'pedometer_syncs_total{via="socket"}'
RECORDS = "pedometer_step_records_stored_total"

OUR_METRICS = [
    SYNCS_REST,
    SYNCS_SOCKET,
    RECORDS,
    'pedometer_socket_connections{kind="steps"}',
    'pedometer_socket_connections{kind="live"}',
    'pedometer_socket_connections{kind="rankings"}',
    "pedometer_notifications_sent_total",
    "pedometer_notifications_failed_total",
    "pedometer_ranking_fallbacks_total",
    "pedometer_replica_fallbacks_total",
    "pedometer_database_unavailable_total",
]


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.mark.django_db
def test_metrics_are_served_in_prometheus_format_and_never_cached(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    for name in OUR_METRICS:
        assert sample(text, name) >= 0
    # Requests and latency by view, from django-prometheus.
    assert 'django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="healthz"}' in text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text


def scrape() -> str:
    return Client().get("/metrics").content.decode()


@pytest.mark.django_db
def test_a_rest_sync_is_counted_with_the_records_it_stored(client):
    before = scrape()
    yesterday = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    body = {
        "source": "phone",
        "days": [{"date": yesterday.date().isoformat(), "steps": 900}],
        "hours": [{"start": yesterday.isoformat(), "steps": 400}],
    }
    assert client_for(make_user(timezone="UTC")).post("/api/v1/steps/sync", body, format="json").status_code == 200
    refused = client_for(make_user()).post("/api/v1/steps/sync", {"days": [{"steps": -1}]}, format="json")
    assert refused.status_code == 400

    after = scrape()
    assert sample(after, SYNCS_REST) == sample(before, SYNCS_REST) + 1  # not the refused one
    assert sample(after, RECORDS) == sample(before, RECORDS) + 2


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_syncs_and_every_kind_of_open_socket_are_counted():
    before = await database_sync_to_async(scrape)()
    _, access = await signed_in()
    steps = websocket("/ws/steps/", token=access)
    live = websocket("/ws/live/?users=", token=access)
    board = websocket("/ws/rankings/day/")
    for socket in (steps, live, board):
        assert (await socket.connect())[0]
    await live.receive_json_from()  # subscribed
    await board.receive_json_from()  # snapshot
    today = timezone.now().date().isoformat()  # UTC today is a syncable day in any zone
    await steps.send_json_to({"type": "steps", "date": today, "steps": 1200})
    assert (await steps.receive_json_from())["type"] == "ack"

    during = await database_sync_to_async(scrape)()
    for socket in (steps, live, board):
        await socket.disconnect()
    after = await database_sync_to_async(scrape)()

    assert sample(during, SYNCS_SOCKET) == sample(before, SYNCS_SOCKET) + 1
    for kind in ("steps", "live", "rankings"):
        name = f'pedometer_socket_connections{{kind="{kind}"}}'
        assert sample(during, name) == sample(before, name) + 1, kind
        assert sample(after, name) == sample(before, name), kind


@pytest.mark.django_db
def test_readiness_checks_export_whether_each_dependency_is_up(client):
    client.get("/readyz")
    text = client.get("/metrics").content.decode()
    assert sample(text, 'pedometer_dependency_up{dependency="database"}') == 1.0


def test_metrics_are_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/me").status_code == 301
