"""Redis from the environment: one address (REDIS_URL) or a Sentinel group
(REDIS_SENTINELS), and every client (cache, throttles, channel layer, Celery,
the board index) then asks the Sentinels for the master."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parent.parent / "settings.py"
REDIS_VARIABLES = ["REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_DB", "CELERY_BROKER_URL"]


def load_settings(monkeypatch, **env: str) -> dict:
    for name in [*REDIS_VARIABLES, "CELERY_TASK_ALWAYS_EAGER"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_sentinels_configure_every_redis_client(monkeypatch):
    config = load_settings(
        monkeypatch, REDIS_SENTINELS="10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26380", REDIS_SENTINEL_MASTER="boards"
    )
    sentinels = [("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26380)]
    cache = config["CACHES"]["default"]
    assert cache["LOCATION"] == ["redis://boards/0"]  # a list: the master only, never a stale replica
    assert cache["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.SentinelClient"
    assert cache["OPTIONS"]["CONNECTION_FACTORY"] == "django_redis.pool.SentinelConnectionFactory"
    assert cache["OPTIONS"]["SENTINELS"] == sentinels
    assert cache["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    host = config["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"][0]
    assert host["sentinels"] == sentinels and host["master_name"] == "boards" and "address" not in host
    assert config["CELERY_BROKER_URL"] == (
        "sentinel://10.0.0.1:26379/0;sentinel://10.0.0.2:26379/0;sentinel://10.0.0.3:26380/0"
    )
    assert config["CELERY_BROKER_TRANSPORT_OPTIONS"]["master_name"] == "boards"
    assert config["CELERY_TASK_ALWAYS_EAGER"] is False


def test_a_plain_redis_url_works_as_before(monkeypatch):
    config = load_settings(monkeypatch, REDIS_URL="redis://cache:6379/2")
    assert config["CACHES"]["default"]["LOCATION"] == "redis://cache:6379/2"
    assert "CLIENT_CLASS" not in config["CACHES"]["default"]["OPTIONS"]
    assert config["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"][0]["address"] == "redis://cache:6379/2"
    assert config["CELERY_BROKER_URL"] == "redis://cache:6379/2"
    assert "master_name" not in config["CELERY_BROKER_TRANSPORT_OPTIONS"]


def test_no_redis_is_the_embedded_default(monkeypatch):
    config = load_settings(monkeypatch)
    assert config["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert config["CELERY_TASK_ALWAYS_EAGER"] is True


def test_a_malformed_sentinel_list_is_refused_at_startup(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="REDIS_SENTINELS"):
        load_settings(monkeypatch, REDIS_SENTINELS="10.0.0.1")
