"""Step records. Only ``steps.services`` writes these tables.

Three levels, each max-wins:
- ``HourlySteps``: one source's count in one hour;
- ``DailySteps``: one source's total for one local day, never below the sum
  of that source's hours of the day;
- ``DayTotal``: the user's total for the day, the maximum over sources (two
  phones on the same walk never double-count). Boards rank these rows.

A source's day holds at most ``MAX_DAILY_STEPS`` however it was reached (a
day sample, or its hours); a flagged day counts in the total at the review
threshold until staff review it; a corrected day is capped for every source.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

DEFAULT_SOURCE = "default"


class DailySteps(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_steps")
    day = models.DateField(help_text=_("The user's local calendar day."))
    source = models.CharField(max_length=64, default=DEFAULT_SOURCE, help_text=_("The client's device id."))
    steps = models.PositiveIntegerField(default=0)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    floors = models.PositiveIntegerField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False,
        help_text=_(
            "Unusually high: waiting for staff review, and counted in the day's total at the review threshold."
        ),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("day record")
        verbose_name_plural = _("day records")
        constraints = [models.UniqueConstraint(fields=["user", "day", "source"], name="daily_steps_key")]
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["flagged", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.source}: {self.steps}"


class HourlySteps(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hourly_steps")
    hour_start = models.DateTimeField(help_text=_("Start of the hour, UTC."))
    day = models.DateField(help_text=_("The local day the hour belongs to."))
    source = models.CharField(max_length=64, default=DEFAULT_SOURCE)
    steps = models.PositiveIntegerField(default=0)
    flagged = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("hour record")
        constraints = [models.UniqueConstraint(fields=["user", "hour_start", "source"], name="hourly_steps_key")]
        indexes = [models.Index(fields=["user", "day", "source"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.hour_start:%Y-%m-%d %H:00} {self.source}: {self.steps}"


class DayTotal(models.Model):
    """The user's steps for a local day: what history, goals and boards read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_totals")
    day = models.DateField()
    steps = models.PositiveIntegerField(default=0)
    # When the current count was first stored: within a tie on a board, earlier wins.
    reached_at = models.DateTimeField(default=now)
    ceiling = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Set by a staff correction: no sync from any device raises the day above it."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="day_total_key")]
        indexes = [models.Index(fields=["day", "-steps", "reached_at"], name="day_total_board")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.steps}"


class StepCorrection(models.Model):
    """The audit trail of staff corrections: the only way a count goes down."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_corrections")
    day = models.DateField()
    source = models.CharField(max_length=64)
    old_steps = models.PositiveIntegerField()
    new_steps = models.PositiveIntegerField()
    reason = models.TextField()
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.source}: {self.old_steps} -> {self.new_steps}"
