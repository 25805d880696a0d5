import pytest

from rankings import index


@pytest.fixture(autouse=True)
def _fresh_index_state(settings):
    # The shared conftest flushes this Redis database; the module keeps a
    # breaker and a list of stale boards per process, reset here too.
    assert settings.REDIS_URL, "the rankings tests run against a real Redis (REDIS_URL)"
    index.reset_state()
    yield
    index.reset_state()


@pytest.fixture(autouse=True)
def _static_without_collectstatic(settings):
    # Production serves hashed files from collectstatic's manifest; tests render
    # pages without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
