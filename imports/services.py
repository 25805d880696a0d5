"""Import jobs, the upload side: take an upload, recognise it, queue its job;
cancel a job.

``create_import`` recognises the upload (from its content), moves it into
the job's folder and queues the task on commit (``tasks.run_import_task``,
which runs ``jobs.run_import`` on a worker).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from infrastructure.api.errors import ConflictError, DomainError, NotFoundError

from .jobs import UPLOAD_NAME, job_folder, limits, remove_upload
from .models import ImportJob, Status
from .readers import ReaderError, open_export
from .tasks import run_import_task


class UnreadableUploadError(DomainError):
    code = "unreadable_file"


class UploadTooLargeError(DomainError):
    status_code = 413
    code = "request_too_large"


class ImportQuotaExceededError(DomainError):
    status_code = 429
    code = "import_quota_exceeded"


def upload_too_large_message() -> str:
    return _("An import may be at most %(bytes)s bytes.") % {"bytes": f"{settings.IMPORT_MAX_UPLOAD_BYTES:,}"}


def check_quota(*, user: User, size: int, now: datetime) -> None:
    """Per upload and per user per day; callers check before storing a byte when they can."""
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(upload_too_large_message())
    today = ImportJob.objects.filter(user=user, created_at__gte=now - timedelta(days=1)).aggregate(
        total=Sum("bytes_total")
    )["total"]
    if (today or 0) + size > settings.IMPORT_MAX_BYTES_PER_DAY:
        raise ImportQuotaExceededError(
            _("At most %(bytes)s bytes of imports a day; try again tomorrow.")
            % {"bytes": f"{settings.IMPORT_MAX_BYTES_PER_DAY:,}"}
        )


def create_import(*, user: User, upload: Path, file_name: str, now: datetime) -> ImportJob:
    """Takes ownership of the file at ``upload`` (moved into the job's folder,
    or deleted when refused) and queues the job."""
    try:
        size = upload.stat().st_size
        check_quota(user=user, size=size, now=now)
        label = Path(file_name).name[:255] or UPLOAD_NAME
        try:
            with open_export(upload, label=label, limits=limits()) as export:
                detected = export.format
        except ReaderError as error:
            raise UnreadableUploadError(str(error)) from None
        job = ImportJob.objects.create(
            user=user, format=detected.value, file_name=label, bytes_total=size, created_at=now
        )
        folder = job_folder(job)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(upload, folder / UPLOAD_NAME)
    finally:
        upload.unlink(missing_ok=True)
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    run_import_task.delay(job_id)


def cancel_import(*, user: User, job_id: UUID, now: datetime) -> ImportJob:
    """A queued job fails at once as cancelled; a running one stops at its
    next batch (what it stored so far stays: it is correct data)."""
    job = ImportJob.objects.filter(user=user, uuid=job_id).first()
    if job is None:
        raise NotFoundError(_("No such import."))
    if ImportJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.FAILED, error=_("Cancelled."), finished_at=now, cancel_requested=True
    ):
        remove_upload(job)
    elif not ImportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(cancel_requested=True):
        raise ConflictError(_("This import has already finished."))
    job.refresh_from_db()
    return job
