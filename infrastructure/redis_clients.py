"""The Redis clients our own code opens (the board index, the board feed), from
settings: a plain ``REDIS_URL``, or a Sentinel group (``REDIS_SENTINELS``),
whose clients ask the Sentinels where the master is on every new connection
and so follow a failover by themselves.

Django's cache, the channel layer and Celery get the same choice through their
own settings (``pedometer_site/settings.py``); this module is for the rest.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from django.conf import settings

_scripts: dict[tuple[int, str], Any] = {}


def script(client: redis.Redis, source: str) -> Any:
    """``client``'s ``Script`` for a Lua ``source``, made once: calling it sends
    EVALSHA, and only after NOSCRIPT (a restarted or new master) loads the source."""
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


def redis_configured() -> bool:
    """Is there a Redis at all (otherwise the embedded default keeps it in memory)?"""
    return bool(settings.REDIS_SENTINELS or settings.REDIS_URL)


def where() -> str:
    """Names the configured Redis, to key per-process clients and breakers by."""
    if settings.REDIS_SENTINELS:
        hosts = ",".join(f"{host}:{port}" for host, port in settings.REDIS_SENTINELS)
        return f"sentinel://{hosts}/{settings.REDIS_SENTINEL_MASTER}/{settings.REDIS_SENTINEL_DB}"
    return settings.REDIS_URL


def _sentinel_kwargs(connection_kwargs: dict[str, Any]) -> dict[str, Any]:
    # The Sentinels get the same short timeouts: a dead one is skipped quickly.
    return {key: value for key, value in connection_kwargs.items() if key.startswith("socket_")}


def sync_client(**connection_kwargs: Any) -> redis.Redis:
    """A client of the master; ``connection_kwargs`` as for ``redis.Redis``."""
    if settings.REDIS_SENTINELS:
        sentinel = redis.sentinel.Sentinel(
            settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_kwargs(connection_kwargs)
        )
        return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, db=settings.REDIS_SENTINEL_DB, **connection_kwargs)
    return redis.Redis.from_url(settings.REDIS_URL, **connection_kwargs)


def async_client(**connection_kwargs: Any) -> redis.asyncio.Redis:
    """The asyncio twin of ``sync_client`` (it belongs to the loop that uses it first)."""
    if settings.REDIS_SENTINELS:
        sentinel = redis.asyncio.sentinel.Sentinel(
            settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_kwargs(connection_kwargs)
        )
        return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, db=settings.REDIS_SENTINEL_DB, **connection_kwargs)
    return redis.asyncio.Redis.from_url(settings.REDIS_URL, **connection_kwargs)
