import pytest

from infrastructure import metrics

OUR_METRICS = [
    "pedometer_syncs_total",
    "pedometer_step_records_stored_total",
    "pedometer_socket_connections",
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


@pytest.mark.django_db
def test_counting_shows_on_the_next_scrape(client):
    before = sample(client.get("/metrics").content.decode(), "pedometer_syncs_total")
    metrics.SYNCS.inc()
    metrics.STEP_RECORDS_STORED.inc(3)
    after = client.get("/metrics").content.decode()
    assert sample(after, "pedometer_syncs_total") == before + 1
    assert sample(after, "pedometer_step_records_stored_total") >= 3


@pytest.mark.django_db
def test_readiness_checks_export_whether_each_dependency_is_up(client):
    client.get("/readyz")
    text = client.get("/metrics").content.decode()
    assert sample(text, 'pedometer_dependency_up{dependency="database"}') == 1.0


def test_metrics_are_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/me").status_code == 301
