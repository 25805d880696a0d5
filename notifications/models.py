from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    GOAL_REACHED = "goal_reached", _("Daily goal reached")
    STREAK_AT_RISK = "streak_at_risk", _("Streak at risk")
    CHALLENGE_STARTED = "challenge_started", _("Challenge started")
    CHALLENGE_OVERTAKEN = "challenge_overtaken", _("Overtaken in a challenge")
    CHALLENGE_FINAL = "challenge_final", _("Challenge result")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Nothing to send to: the user had no active device when it was due.
    SKIPPED = "skipped", _("Skipped (no devices)")


class Notification(models.Model):
    """One push owed to a user: a row of the outbox.

    Written in the same transaction as the steps that earned it; the unique
    key on (user, day, kind) is what makes "never twice a day" hold whatever
    the races (with ``subject``, e.g. ``challenge:12``: once per user, day,
    kind and challenge). A worker claims a row by setting ``lease_token`` and
    ``leased_until`` in one conditional UPDATE; a row whose lease ran out
    while still pending belongs to a worker that died, and the sweep
    queues it again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    day = models.DateField(help_text=_("The user's local calendar day the push is about."))
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=64, blank=True, default="", help_text=_("What it is about: challenge:<id>."))
    data = models.JSONField(default=dict, blank=True, help_text=_("What the text says: a name, a place."))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    steps = models.PositiveIntegerField(default=0, help_text=_("The day's total when the goal was reached."))
    goal = models.PositiveIntegerField(default=0, help_text=_("The daily goal at that moment."))
    attempts = models.PositiveSmallIntegerField(default=0, help_text=_("Claims so far, including lost ones."))
    next_attempt_at = models.DateTimeField()
    lease_token = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Device public id -> FCM message id, so a retry goes only to the devices still owed.
    message_ids = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day", "kind", "subject"], name="notification_once_per_user_day_kind_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["created_at"], name="notification_created"),  # the admin's newest-first list
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} on {self.day} ({self.status})"
