"""The task queue: Celery on the Redis broker; inline in the embedded default."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")

app = Celery("pedometer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
