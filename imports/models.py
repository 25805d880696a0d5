"""Import jobs: one upload of another app's export, and how far it got."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    format = models.CharField(max_length=16, blank=True, help_text=_("apple_health, google_fit, fitbit, ..."))
    file_name = models.CharField(max_length=255, blank=True, help_text=_("As uploaded; errors name it."))
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    records_read = models.PositiveBigIntegerField(default=0)
    records_skipped = models.PositiveBigIntegerField(
        default=0,
        help_text=_("Source-days left out (over ten years old, in the future, over a cap); records over two days."),
    )
    days_imported = models.PositiveIntegerField(default=0, help_text=_("Days with something stored."))
    days_changed = models.PositiveIntegerField(default=0, help_text=_("Days whose total went up."))
    sources = models.JSONField(default=list, blank=True)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last progress saved by the worker running it (a stale one is taken over).")
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.format or 'import'} of {self.user_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (Status.DONE, Status.FAILED)
