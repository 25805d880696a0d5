"""Import jobs on a worker: read the upload, store it through the steps
write path, a batch of days per transaction.

``run_import`` (the task ``tasks.run_import_task``) claims the job with one
conditional UPDATE (queued -> running: a job runs once however often its task
is delivered), reads file after file, and stores what it read through
``steps.services.record_imported_steps``, each batch in a transaction that is
run again after a lost connection or a conflict (max-wins makes it
idempotent). The boards catch up once, at the end:
``steps.services.publish_imported_changes`` publishes every changed day on
``steps.changes.day_changes`` with ``origin=IMPORT`` (no goal push, no live
event per day; one board index write). A bad file fails the job naming the
file and line; the files read whole before it stay stored (they are correct
data), and running the same upload again changes nothing (max-wins).

The upload side (``services``) queues the task; this module imports neither.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from infrastructure.i18n import language_for
from steps.changes import DayChange
from steps.services import ImportedDay, publish_imported_changes, record_imported_steps

from .buckets import Buckets, by_day
from .models import ImportJob, Status
from .readers import Limits, ReaderError, open_export, read_member
from .readers.samples import EPOCH_ORDINAL

logger = logging.getLogger(__name__)

UPLOAD_NAME = "upload"
# Days per transaction: a month of one person's rows, a few hundred at most;
# short enough that their phone's sync never waits long on the user's lock.
BATCH_DAYS = 31
# Buckets held before they are written (files read whole are written past
# this, so memory stays bounded by it, not by the upload).
FLUSH_BUCKETS = 200_000
PROGRESS_SECONDS = 1.0
# A running job whose worker saved no progress this long is taken over by the
# next delivery of its task (the slowest step between saves is one batch).
STALE_AFTER = timedelta(minutes=10)


def limits() -> Limits:
    return Limits(uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES, ratio=settings.IMPORT_MAX_RATIO)


def job_folder(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / str(job.uuid)


def remove_upload(job: ImportJob) -> None:
    shutil.rmtree(job_folder(job), ignore_errors=True)


class _CancelledError(Exception):
    pass


@dataclass
class _Run:
    """What one run of a job has stored so far."""

    job: ImportJob
    user: User
    clock: Callable[[], datetime]
    first: dict[date, int] = field(default_factory=dict)  # day -> the user's total before the import
    last: dict[date, DayChange] = field(default_factory=dict)
    days: set[date] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    skipped: int = 0
    records: int = 0
    retried: bool = False  # a batch's transaction ran again: publish every stored day, changed or not
    bytes_read: int = 0
    saved_at: float = 0.0

    def progress(self, *, force: bool = False) -> None:
        """Saves the counters (about once a second) and stops if the job was cancelled."""
        moment = time.monotonic()
        if not force and moment - self.saved_at < PROGRESS_SECONDS:
            return
        self.saved_at = moment
        job = self.job
        job.bytes_read = min(self.bytes_read, job.bytes_total)
        job.records_read = self.records
        job.records_skipped = self.skipped
        job.days_imported = len(self.days)
        job.days_changed = sum(1 for day, change in self.last.items() if change.new_total != self.first[day])
        job.sources = sorted(self.sources)
        job.first_day = min(self.days, default=None)
        job.last_day = max(self.days, default=None)
        job.heartbeat_at = self.clock()
        counts = ["bytes_read", "records_read", "records_skipped", "days_imported", "days_changed"]
        job.save(update_fields=[*counts, "sources", "first_day", "last_day", "heartbeat_at"])
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise _CancelledError

    def store(self, buckets: Buckets) -> None:
        days = by_day(buckets)
        ordered = sorted(days)
        for first in range(0, len(ordered), BATCH_DAYS):
            batch = [
                ImportedDay(
                    day=date.fromordinal(day + EPOCH_ORDINAL),
                    source=source,
                    hours={datetime.fromtimestamp(start, tz=UTC): steps for start, steps in counts.hours.items()},
                    steps=counts.total,
                    distance_m=counts.distance_m,
                )
                for day in ordered[first : first + BATCH_DAYS]
                for source, counts in sorted(days[day].items())
            ]
            result = record_imported_steps(user=self.user, days=batch, now=self.clock())
            self.skipped += result.refused
            self.retried |= result.retried
            stored_days = {change.day for change in result.changes}
            self.days |= stored_days
            self.sources |= {item.source for item in batch if item.day in stored_days}
            for change in result.changes:
                self.first.setdefault(change.day, change.old_total)
                self.last[change.day] = change
            self.progress()

    def changes(self) -> list[DayChange]:
        return [
            DayChange(
                day=day,
                old_total=self.first[day],
                new_total=change.new_total,
                goal=change.goal,
                reached_at=change.reached_at,
            )
            for day, change in sorted(self.last.items())
        ]


def _cancelled(user: User) -> str:
    # Stored with the job and shown by the API: in its owner's language.
    with translation.override(language_for(user)):
        return _("Cancelled.")


def run_import(*, job_id: int, clock: Callable[[], datetime] = timezone.now) -> ImportJob | None:
    """Runs a queued job to its end. Returns None when another worker has it
    (or it was cancelled before it started)."""
    now = clock()
    # Queued, or running on a worker that stopped beating (killed mid-job: the
    # broker delivers its task again). Running it again is safe: max-wins.
    claimable = Q(status=Status.QUEUED) | Q(
        status=Status.RUNNING, cancel_requested=False, heartbeat_at__lt=now - STALE_AFTER
    )
    if not ImportJob.objects.filter(claimable, pk=job_id).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    ):
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    run = _Run(job=job, user=job.user, clock=clock)
    error = ""
    try:
        # A reader's error is stored for the owner to read, so the readers run
        # in the owner's language (a worker has no request to take one from).
        with translation.override(language_for(run.user)):
            _read_and_store(run)
    except _CancelledError:
        error = _cancelled(run.user)
    except ReaderError as failure:
        error = str(failure)
    except Exception:
        logger.exception("import %s failed", job.uuid)
        with translation.override(language_for(run.user)):
            error = _("Something went wrong on our side while importing; what was stored so far stays.")
    finally:
        # The boards catch up once, for everything stored, even when a later file failed.
        try:
            publish_imported_changes(user=run.user, changes=run.changes(), now=clock(), everything=run.retried)
        except Exception:  # the days are stored; the index repairs itself from MySQL
            logger.exception("import %s: boards not brought up to date", job.uuid)
        try:
            run.progress(force=True)
        except _CancelledError:
            error = error or _cancelled(run.user)
        if not error:
            job.bytes_read = job.bytes_total
        job.status = Status.FAILED if error else Status.DONE
        job.error = error
        job.finished_at = clock()
        job.save(update_fields=["status", "error", "finished_at", "bytes_read"])
        remove_upload(job)
    return job


def _read_and_store(run: _Run) -> None:
    job = run.job
    path = job_folder(job) / UPLOAD_NAME
    pending = Buckets()
    with open_export(path, label=job.file_name or UPLOAD_NAME, limits=limits()) as export:
        done_stored = 0
        for member in export.members:
            share = member.stored_size / max(member.size, 1)
            read_in_member = 0

            def on_read(count: int, share: float = share, done_stored: int = done_stored) -> None:
                nonlocal read_in_member
                read_in_member += count
                run.bytes_read = done_stored + int(read_in_member * share)

            one_file = Buckets()
            try:
                for item in read_member(member, zone=run.user.zone, on_read=on_read):
                    one_file.add(item)
                    if one_file.records % 20_000 == 0:
                        run.records = pending.records + one_file.records
                        run.progress()
            except ReaderError:
                run.store(pending)  # the files read whole before this one are correct data
                raise
            pending.merge_max(one_file)
            run.skipped += one_file.too_long
            run.records = pending.records
            done_stored += member.stored_size
            if len(pending) >= FLUSH_BUCKETS:
                run.store(pending)
                pending.clear()
        run.store(pending)
