"""Reads of import jobs."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from infrastructure.api.errors import NotFoundError

from .models import ImportJob


def imports_of(*, user: User) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(user=user)


def import_of(*, user: User, job_id: UUID) -> ImportJob:
    job = ImportJob.objects.filter(user=user, uuid=job_id).first()
    if job is None:
        raise NotFoundError(_("No such import."))
    return job
