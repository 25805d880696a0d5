"""The site's URLs plus the baseline endpoint `bench/ingest.py` compares the
sync against (`/api/v1/bench/bare-upsert`). Bench servers only (``bench.settings``)."""

from django.urls import include, path

from pedometer_site.urls import handler404, handler500
from pedometer_site.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("api/v1/bench/", include("bench.bare_upsert")), *site_urlpatterns]

__all__ = ["handler404", "handler500", "urlpatterns"]  # Django reads the handlers from the root URLconf
