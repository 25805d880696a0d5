import pytest
from django.db import connections

from .servers import free_port


def test_healthz_answers_without_touching_anything(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_redis(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    if settings.REDIS_URL:
        assert body["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_readyz_takes_the_node_out_when_the_database_fails(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("database is down")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["failed"] == ["database"]


@pytest.fixture
def redis_down(settings):
    """Redis configured as in production, but nothing listens where it should be."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test sets it)")
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    return url


@pytest.mark.django_db
def test_readyz_keeps_the_node_in_service_when_only_redis_is_down(client, redis_down):
    # Redis serves every node alike: taking nodes out would turn a cache
    # outage into a total outage. Degraded, named, still 200.
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "failed" not in body
