"""Imports an export from a shell, with a progress bar: the same job as
``POST /api/v1/imports``, run here rather than on a worker.

    manage.py import_steps --user walker@example.com export.zip
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from accounts.models import User
from imports import jobs, services
from imports.models import ImportJob
from infrastructure.api.errors import DomainError


class Command(BaseCommand):
    help = "Imports an Apple Health, Google Fit, Fitbit, Samsung Health or pedometer export for one user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The account's email.")
        parser.add_argument("file", help="The export: a zip or the bare file.")

    def handle(self, *args, user: str, file: str, **options) -> None:
        account = User.objects.filter(email__iexact=user).first()
        if account is None:
            raise CommandError(f"No account with the email {user!r}.")
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"No file at {file}.")
        # The job takes ownership of its upload (and deletes it): give it a copy.
        with source.open("rb") as original, tempfile.NamedTemporaryFile(delete=False, suffix=".upload") as copy:
            shutil.copyfileobj(original, copy)
        try:
            job = services.create_import(
                user=account, upload=Path(copy.name), file_name=source.name, now=timezone.now()
            )
        except DomainError as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"{job.format}: {source.name}, {job.bytes_total:,} bytes")
        done = threading.Event()
        watcher = threading.Thread(target=self._draw, args=(job.pk, done), daemon=True)
        watcher.start()
        try:
            finished = jobs.run_import(job_id=job.pk) or ImportJob.objects.get(pk=job.pk)
        finally:
            done.set()
            watcher.join()
        self.stdout.write("")
        self.stdout.write(
            f"{finished.status}: {finished.records_read:,} records, {finished.days_imported:,} days "
            f"({finished.first_day} to {finished.last_day}), {finished.days_changed:,} changed, "
            f"{finished.records_skipped:,} left out; sources: {', '.join(finished.sources) or '-'}"
        )
        if finished.error:
            raise CommandError(finished.error)

    def _draw(self, job_id: int, done: threading.Event) -> None:
        """A bar from the job's own saved progress (what GET imports/<id> shows)."""
        width, tty = 30, self.stdout.isatty()
        try:
            while not done.wait(0.5):
                job = ImportJob.objects.filter(pk=job_id).values("bytes_read", "bytes_total", "records_read").first()
                if job is None:
                    return
                share = job["bytes_read"] / max(job["bytes_total"], 1)
                bar = "#" * int(share * width) + "-" * (width - int(share * width))
                line = f"[{bar}] {share:4.0%} {job['records_read']:,} records"
                if tty:
                    self.stdout.write(f"\r{line}", ending="")
                    self.stdout.flush()
                elif int(time.monotonic()) % 5 == 0:
                    self.stdout.write(line)
        finally:
            close_old_connections()
