"""Fixtures every app's tests share. Builders are plain functions in
``pedometer_site/tests/testing.py``, so a test shows what it depends on."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _plain_http_and_fresh_cache(settings):
    # Production settings redirect http to https; the test client speaks http.
    settings.SECURE_SSL_REDIRECT = False
    # Throttle counters live in the cache (Redis under `make test`): start clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def inline_tasks():
    """Tasks run inline, as in the embedded default (make test has a Redis broker configured)."""
    from pedometer_site.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
