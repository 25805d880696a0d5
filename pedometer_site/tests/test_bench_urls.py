"""The benchmark's bare endpoint exists only on bench servers (bench/settings.py)."""

import pytest
from django.urls import NoReverseMatch, reverse


def test_the_production_urlconf_has_no_bench_endpoint():
    with pytest.raises(NoReverseMatch):
        reverse("bench-bare-upsert")


def test_the_bench_urlconf_is_the_site_plus_the_bare_endpoint(settings):
    settings.ROOT_URLCONF = "bench.urls"
    assert reverse("bench-bare-upsert") == "/api/v1/bench/bare-upsert"
    assert reverse("steps-sync") == "/api/v1/steps/sync"
