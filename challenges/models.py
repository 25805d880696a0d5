"""Groups, challenges, teams, participants and frozen results.

Only ``challenges.services`` writes these tables. A running challenge's board
is computed from ``steps.DayTotal`` (each participant's own local days); once
final, its table lives in ``Result`` rows that nothing changes again except
a staff re-finalise (audited in ``Finalisation``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

DEFAULT_DAILY_CAP = 30_000
MIN_DAILY_CAP = 1_000
MAX_DAILY_CAP = 100_000
MAX_PERIOD_DAYS = 366
DEFAULT_GRACE_HOURS = 72
# A local day starts first at UTC+14 and ends last at UTC-12: a challenge runs
# while any participant's local day may still be inside its period.
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)


class GroupVisibility(models.TextChoices):
    PRIVATE = "private", _("Private (members only)")
    PUBLIC = "public", _("Public (anyone may see it)")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Group(models.Model):
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, max_length=1000)
    visibility = models.CharField(max_length=8, choices=GroupVisibility.choices, default=GroupVisibility.PRIVATE)
    invite_code = models.CharField(max_length=16, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Joining a group is consent: members see each other's names on the group's boards."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_once")]
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.role})"


class Kind(models.TextChoices):
    TOTAL = "total", _("Most steps")
    GOAL_DAYS = "goal_days", _("Most goal days")
    STREAK = "streak", _("Longest streak")
    TEAM = "team", _("Teams")
    HEAD_TO_HEAD = "head_to_head", _("Head to head")
    GROUP_TARGET = "group_target", _("Group target")


class TeamScoring(models.TextChoices):
    TOTAL = "total", _("Total of the members")
    AVERAGE = "average", _("Average per member")


class State(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    RUNNING = "running", _("Running")
    GRACE = "grace", _("Ended: late syncs still count")
    FINAL = "final", _("Final")


class Challenge(models.Model):
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_on = models.DateField(help_text=_("First day, in each participant's own local days."))
    ends_on = models.DateField(help_text=_("Last day (inclusive)."))
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="challenges")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    daily_cap = models.PositiveIntegerField(default=DEFAULT_DAILY_CAP, help_text=_("Steps counted per day at most."))
    target = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("goal_days/streak: steps a day (default: the participant's goal); group_target: the total."),
    )
    team_scoring = models.CharField(max_length=8, choices=TeamScoring.choices, default=TeamScoring.TOTAL)
    team_size_cap = models.PositiveIntegerField(null=True, blank=True)
    opponent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    grace_hours = models.PositiveIntegerField(default=DEFAULT_GRACE_HOURS)
    created_at = models.DateTimeField(default=now)
    finalised_at = models.DateTimeField(null=True, blank=True)
    # Frozen with the results: group_target's total and the day it was reached, head_to_head's outcome.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        indexes = [models.Index(fields=["finalised_at", "ends_on"], name="challenge_due")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def period_days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def starts_at(self) -> datetime:
        """When the first participant's first day can begin (their day at UTC+14)."""
        return datetime.combine(self.starts_on, time(0), tzinfo=UTC) - EARLIEST_OFFSET

    @property
    def ends_at(self) -> datetime:
        """When the last participant's last day is over (their day at UTC-12)."""
        return datetime.combine(self.ends_on + timedelta(days=1), time(0), tzinfo=UTC) + LATEST_OFFSET

    @property
    def grace_ends_at(self) -> datetime:
        return self.ends_at + timedelta(hours=self.grace_hours)

    def state_at(self, moment: datetime) -> State:
        if self.finalised_at is not None:
            return State.FINAL
        if moment >= self.ends_at:
            return State.GRACE
        if moment >= self.starts_at:
            return State.RUNNING
        return State.UPCOMING

    @property
    def has_teams(self) -> bool:
        return self.kind == Kind.TEAM


class Team(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["challenge", "name"], name="team_name_once")]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """One person in one challenge, in at most one of its teams (the unique key says so)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenge_entries")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    joined_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["challenge", "user"], name="participant_once")]
        indexes = [models.Index(fields=["user", "challenge"], name="participant_of_user")]
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.challenge_id}"


class Scope(models.TextChoices):
    PEOPLE = "people", _("People")
    TEAMS = "teams", _("Teams")


FORMER_PARTICIPANT = "former participant"


class Result(models.Model):
    """A frozen row of a final table. The name is kept as it was; a deleted
    account's row stays, its user cleared, shown as "former participant"."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="results")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.PEOPLE)
    position = models.PositiveIntegerField(help_text=_("Order in the table (ties ordered by who got there first)."))
    rank = models.PositiveIntegerField(help_text=_("Shared on equal scores: 1, 2, 2, 4."))
    score = models.FloatField()
    reached_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=80, help_text=_("The person's or team's name when the results froze."))
    team_name = models.CharField(max_length=80, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["challenge", "scope", "position"], name="result_position")]
        ordering = ["challenge", "scope", "position"]

    def __str__(self) -> str:
        return f"{self.challenge_id} {self.scope} #{self.rank}: {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.scope == Scope.PEOPLE and self.user_id is None:
            return FORMER_PARTICIPANT
        return self.name


class Finalisation(models.Model):
    """The audit of every freeze: by the sweep, a first read, or staff."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="finalisations")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    trigger = models.CharField(max_length=16, help_text=_("sweep, read or staff"))
    reason = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.challenge_id} finalised by {self.trigger} at {self.at:%Y-%m-%d %H:%M}"
