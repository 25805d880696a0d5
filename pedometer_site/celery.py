"""The task queue: Celery on the Redis broker; inline in the embedded default."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pedometer_site.settings")

app = Celery("pedometer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _start_unpinned(task=None, **kwargs) -> None:
    # Like a request: a task reads from the replica (where allowed) until it
    # writes. A task run inline belongs to the request that ran it: keep its pin.
    if task is not None and task.request.is_eager:
        return
    from .replica import reset_routing

    reset_routing()
