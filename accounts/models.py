import functools
import uuid
import zoneinfo
from datetime import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

DAILY_GOAL_MIN = 100
DAILY_GOAL_MAX = 100_000
DEFAULT_DAILY_GOAL = 10_000
# Local times between which a push waits (start == end: none). Default 22:00-07:00.
DEFAULT_QUIET_HOURS_START = time(22, 0)
DEFAULT_QUIET_HOURS_END = time(7, 0)


@functools.cache
def known_time_zones() -> frozenset[str]:
    # Scanning the tz database costs ~25 ms, and it does not change while we run.
    # "localtime" is this server's own zone file, not an IANA name.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules"})


def validate_timezone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(_("Unknown time zone '%(zone)s'.") % {"zone": value}, code="invalid_timezone")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    FRIENDS = "friends", _("Friends only")
    PRIVATE = "private", _("Only me")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=self.normalize_email(email) if email else None, **fields)
        user.set_password(password)  # None makes an unusable password (Firebase-only users)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str, **fields):
        fields.setdefault("display_name", "Admin")
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)

    def get_by_natural_key(self, username: str | None):
        # Emails are compared without case, as people type them.
        return self.get(email__iexact=username)


class Language(models.TextChoices):
    """The languages the site, the API's messages, e-mails and pushes are written in."""

    ENGLISH = "en", "English"
    KOREAN = "ko", "한국어"


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a phone. ``uuid`` is their public id everywhere."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Null for Firebase accounts (e.g. phone sign-in) that have no verified email.
    email = models.EmailField(unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=64)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    daily_goal = models.PositiveIntegerField(
        default=DEFAULT_DAILY_GOAL,
        validators=[MinValueValidator(DAILY_GOAL_MIN), MaxValueValidator(DAILY_GOAL_MAX)],
    )
    # Set once the goal or zone first changes: until then no DaySettings rows exist,
    # and no sync of theirs spends a query looking for them.
    day_settings_changed = models.BooleanField(default=False, editable=False)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    quiet_hours_start = models.TimeField(
        default=DEFAULT_QUIET_HOURS_START,
        help_text=_("Local time from which a due push waits (equal to the end: never)."),
    )
    quiet_hours_end = models.TimeField(
        default=DEFAULT_QUIET_HOURS_END, help_text=_("Local time when waiting pushes go.")
    )
    # Blank: follow the browser's Accept-Language (pages, API messages), else English.
    language = models.CharField(max_length=8, choices=Language.choices, blank=True, default="")
    firebase_uid = models.CharField(max_length=128, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email or self.uuid}>"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"


class Device(models.Model):
    """A phone (or browser) that can receive pushes: one FCM registration token.

    ``uuid`` is its public id in the API; a token that moves to another account
    gets a fresh one, so the previous owner's id no longer names it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    # FCM tokens run to about 160 characters; 255 keeps the unique index within MySQL's limit.
    token = models.CharField(max_length=255, unique=True)
    platform = models.CharField(max_length=8, choices=Platform.choices)
    app_version = models.CharField(max_length=32, blank=True)
    locale = models.CharField(max_length=16, default="en", help_text=_("BCP 47, e.g. en-US or ko-KR."))
    is_active = models.BooleanField(default=True)
    deactivated_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now)
    last_seen_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class FriendshipStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")


class Friendship(models.Model):
    """One row per pair: a request from ``from_user`` that ``to_user`` may accept."""

    from_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="friendships_sent")
    to_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="friendships_received")
    status = models.CharField(max_length=8, choices=FriendshipStatus.choices, default=FriendshipStatus.PENDING)
    created_at = models.DateTimeField(default=now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_user", "to_user"], name="friendship_once_per_direction"),
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")), name="friendship_not_self"),
        ]
        indexes = [models.Index(fields=["to_user", "status"])]

    def __str__(self) -> str:
        return f"{self.from_user_id} -> {self.to_user_id} ({self.status})"


class DaySettings(models.Model):
    """The goal and time zone a user had from ``starts_on`` on, until the next
    row. Written when either changes, so past days keep the goal and zone they
    were walked under (``accounts.selectors.day_settings``). A user who never
    changed either has no rows: their current values hold for every day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_settings")
    starts_on = models.DateField(help_text=_("The user's local day from which these settings hold."))
    daily_goal = models.PositiveIntegerField()
    timezone = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = _("day settings")
        constraints = [models.UniqueConstraint(fields=["user", "starts_on"], name="day_settings_key")]

    def __str__(self) -> str:
        return f"{self.user_id} from {self.starts_on}: goal {self.daily_goal}, {self.timezone}"
