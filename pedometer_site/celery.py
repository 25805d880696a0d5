"""The task queue: Celery on the Redis broker; inline in the embedded default."""

import os

from celery import Celery
from celery.signals import task_prerun, worker_init, worker_process_shutdown

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
    from infrastructure.db.replica import reset_routing

    reset_routing()


@worker_init.connect
def _serve_metrics(**kwargs) -> None:
    """With ``WORKER_METRICS_PORT`` set, the worker serves Prometheus metrics
    (pushes sent and failed are counted where they happen: here). Its pool's
    processes each count in ``PROMETHEUS_MULTIPROC_DIR``; this sums them."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if not port:
        return
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR (an empty directory).")
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), registry=registry)


@worker_process_shutdown.connect
def _forget_metrics_of_ended_process(pid=None, **kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
