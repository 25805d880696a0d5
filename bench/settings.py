"""The site's settings with the bench-only URLconf: what `bench/ingest.py`
starts its server with (``DJANGO_SETTINGS_MODULE=bench.settings``). The
production URLconf never knows the bench endpoint exists."""

from pedometer_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
