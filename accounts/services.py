"""Everything that changes an account: sign-up, sign-in, profile, deletion."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone as django_timezone
from firebase_admin import auth as firebase_auth
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, TokenError

from infrastructure.api.errors import ConflictError, DomainError, InvalidInputError, ServiceUnavailableError
from infrastructure.api.serializers import EARLIEST_DATE
from infrastructure.firebase import firebase_app

from .events import AccountDeleted, VisibilityChanged, account_deleted, visibility_changed
from .models import DEFAULT_DAILY_GOAL, DaySettings, User

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("display_name", "timezone", "daily_goal", "visibility", "quiet_hours_start", "quiet_hours_end")


class AuthenticationError(DomainError):
    status_code = 401
    code = "authentication_failed"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def tokens_for(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInputError("Choose a stronger password.", fields={field: list(exc.messages)}) from exc


def user_create(
    *,
    email: str,
    password: str,
    display_name: str,
    timezone: str = "UTC",
    daily_goal: int = DEFAULT_DAILY_GOAL,
) -> User:
    email = User.objects.normalize_email(email)
    candidate = User(email=email, display_name=display_name, timezone=timezone, daily_goal=daily_goal)
    _check_password(password, candidate)
    taken = ConflictError("An account with this email already exists.", fields={"email": ["Already registered."]})
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email, password, display_name=display_name, timezone=timezone, daily_goal=daily_goal
            )
    except IntegrityError as exc:  # lost a race with an identical sign-up
        raise taken from exc


def user_login(*, email: str, password: str) -> User:
    user = authenticate(username=email, password=password)
    if user is None:
        raise AuthenticationError("Email or password is wrong.")
    update_last_login(None, user)  # type: ignore[arg-type]  # a signal receiver: the sender is unused; what UPDATE_LAST_LOGIN promises; simplejwt only does it in its own views
    return user


def _record_day_settings(user: User, *, before: tuple[int, str], now: datetime) -> None:
    """A new goal or zone holds from the user's current day on; every day
    before keeps what it had (the first change also writes down what that was)."""
    if not user.day_settings_changed:
        goal, zone = before
        DaySettings.objects.create(user=user, starts_on=EARLIEST_DATE, daily_goal=goal, timezone=zone)
        user.day_settings_changed = True
        user.save(update_fields=["day_settings_changed"])
    DaySettings.objects.update_or_create(
        user=user,
        starts_on=now.astimezone(user.zone).date(),
        defaults={"daily_goal": user.daily_goal, "timezone": user.timezone},
    )


def user_update(*, user: User, now: datetime | None = None, **changes: object) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInputError("These fields cannot be changed.", fields={name: ["Read-only."] for name in unknown})
    visibility_before = user.visibility
    settings_before = (user.daily_goal, user.timezone)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password", "email"])
    with transaction.atomic():
        user.save(update_fields=list(changes))
        if (user.daily_goal, user.timezone) != settings_before:
            _record_day_settings(user, before=settings_before, now=now or django_timezone.now())
        _publish_visibility(user, visibility_before)
    return user


def user_saved_by_staff(*, user: User, visibility_before: str) -> None:
    """The admin saved ``user`` through its own form; tells whoever reacts,
    as ``user_update`` does for the profile API."""
    with transaction.atomic():
        _publish_visibility(user, visibility_before)


def _publish_visibility(user: User, before: str) -> None:
    if user.visibility != before:
        # Boards must stop (or start) showing them at once, not at their next sync.
        visibility_changed.publish(VisibilityChanged(user=user, before=before))


def password_change(*, user: User, old_password: str, new_password: str) -> TokenPair:
    """Sets the new password, signs out every other session, and returns fresh tokens."""
    if not user.check_password(old_password):
        raise InvalidInputError("The current password is wrong.", fields={"old_password": ["Wrong password."]})
    _check_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _blacklist_all_refresh_tokens(user)
    return tokens_for(user)


SPENT_REFRESH = "This refresh token is invalid or already used."


def refresh_rotate(*, refresh: str) -> TokenPair:
    """Trades a refresh token for a new pair; the old one is spent for good."""
    token = _live_refresh_token(refresh)
    user = User.objects.filter(uuid=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise AuthenticationError("This account no longer exists.")
    # simplejwt hints a BlacklistedToken; it returns get_or_create's (row, created).
    blacklisted: Any = token.blacklist()
    _, spent_now = blacklisted
    if not spent_now:  # a concurrent refresh spent it first
        raise AuthenticationError(SPENT_REFRESH)
    return tokens_for(user)


def refresh_revoke(*, refresh: str) -> None:
    """Logs out one session: that refresh token stops working."""
    token = _live_refresh_token(refresh)
    # Blacklisting a deleted account's token would recreate its token rows, owned by nobody.
    if not User.objects.filter(uuid=token.get(api_settings.USER_ID_CLAIM)).exists():
        raise AuthenticationError("This account no longer exists.")
    token.blacklist()


def _live_refresh_token(refresh: str) -> RefreshToken:
    try:
        # simplejwt hints Token | None; it takes the encoded token, checking signature, expiry and the blacklist.
        return RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise AuthenticationError(SPENT_REFRESH) from exc


def _blacklist_all_refresh_tokens(user: User) -> None:
    live = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


def user_delete(*, user: User) -> None:
    """Removes the account and every row that belongs to it.

    Most rows go by cascade; tokens are kept by simplejwt with SET_NULL, so
    they are deleted here explicitly. Apps holding copies elsewhere (the board
    index) hear of it first, while the rows can still be read.
    """
    with transaction.atomic():
        account_deleted.publish(AccountDeleted(user=user, now=django_timezone.now()))
        OutstandingToken.objects.filter(user=user).delete()
        user.delete()


def _active(user: User) -> User:
    if not user.is_active:
        raise AuthenticationError("This account is disabled.")
    return user


def firebase_sign_in(*, id_token: str) -> tuple[User, bool]:
    """Finds or creates the user behind a Firebase ID token: (user, created)."""
    try:
        app = firebase_app()
    except (OSError, ValueError) as exc:  # a missing or malformed service-account file
        logger.error("FIREBASE_CREDENTIALS is unusable: %s", exc)
        raise ServiceUnavailableError("Firebase sign-in is misconfigured on this server.") from exc
    if app is None:
        raise ServiceUnavailableError("Firebase sign-in is not configured on this server.")
    try:
        claims = firebase_auth.verify_id_token(id_token, app=app)
    except firebase_auth.ExpiredIdTokenError as exc:
        raise AuthenticationError("The Firebase ID token has expired; get a fresh one.") from exc
    except firebase_auth.CertificateFetchError as exc:
        logger.warning("firebase certificate fetch failed: %s", exc)
        raise ServiceUnavailableError("Cannot reach Firebase to check the token; try again shortly.") from exc
    except (firebase_auth.InvalidIdTokenError, ValueError) as exc:
        raise AuthenticationError("The Firebase ID token is not valid.") from exc

    uid = claims["uid"]
    verified_email = claims.get("email") if claims.get("email_verified") else None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(firebase_uid=uid).first()
        if user is not None:
            return _active(user), False
        if verified_email:
            # The same person signed up with a password before: link, don't duplicate.
            user = User.objects.select_for_update().filter(email__iexact=verified_email).first()
            if user is not None:
                if user.firebase_uid is not None:
                    # Re-linking would hand this account to whoever holds the new uid.
                    raise ConflictError(
                        "This email already belongs to another Firebase sign-in.",
                        fields={"email": ["Already linked."]},
                    )
                _active(user)
                user.firebase_uid = uid
                user.save(update_fields=["firebase_uid"])
                return user, False
        name = (claims.get("name") or (verified_email or "").split("@")[0] or "Walker")[:64]
        try:
            with transaction.atomic():
                user = User.objects.create_user(verified_email, None, display_name=name, firebase_uid=uid)
        except IntegrityError:  # two first sign-ins raced; the other one created it
            return User.objects.get(firebase_uid=uid), False
    return user, True
