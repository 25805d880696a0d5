"""Fixtures every app's tests share. Builders are plain functions in
``pedometer_site/tests/testing.py``, so a test shows what it depends on."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

# The real-browser fixtures (``chromium``), for every test module.
pytest_plugins = ["pedometer_site.tests.browsers"]


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogues():
    # The .mo files are built, not committed: compile the project's catalogues
    # when a .po is newer than its .mo, before any page or test server renders.
    stale = [
        po
        for folder in settings.LOCALE_PATHS
        for po in Path(folder).glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command(
            "compilemessages",
            locale=[po.parents[1].name for po in stale],
            ignore=[".venv*", "node_modules"],
            verbosity=0,
        )


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
