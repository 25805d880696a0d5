"""Background work: thin wrappers over ``jobs``."""

from celery import shared_task

from . import jobs


@shared_task(ignore_result=True)
def run_import_task(job_id: int) -> None:
    """Runs one import job; a second delivery of the same task finds it claimed and does nothing."""
    jobs.run_import(job_id=job_id)
