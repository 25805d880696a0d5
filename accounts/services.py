"""Everything that changes an account: sign-up, sign-in, profile, deletion."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from firebase_admin import auth as firebase_auth
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, TokenError, UntypedToken

from infrastructure.api.errors import ConflictError, DomainError, InvalidInputError, ServiceUnavailableError
from infrastructure.api.serializers import EARLIEST_DATE
from infrastructure.firebase import firebase_app

from . import sign_in_guard
from .authentication import FAMILY_CLAIM, end_session
from .events import (
    AccountDeactivated,
    AccountDeleted,
    DaySettingsChanged,
    VisibilityChanged,
    account_deactivated,
    account_deleted,
    day_settings_changed,
    visibility_changed,
)
from .models import DEFAULT_DAILY_GOAL, DaySettings, User

logger = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "display_name", "timezone", "daily_goal", "visibility", "quiet_hours_start", "quiet_hours_end", "language",
)  # fmt: skip
SIGNED_IN_AT_CLAIM = "signed_in_at"
# Deleting an account without a password (Firebase-only) needs a sign-in this recent.
RECENT_SIGN_IN_SECONDS = 5 * 60


class AuthenticationError(DomainError):
    status_code = 401
    code = "authentication_failed"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def tokens_for(user: User, *, rotated_from: RefreshToken | None = None) -> TokenPair:
    """A token pair. A sign-in starts a session (``family``: this refresh token's
    id) and notes when it happened; a rotation carries both on."""
    refresh = RefreshToken.for_user(user)
    if rotated_from is not None and rotated_from.get(FAMILY_CLAIM):
        refresh[FAMILY_CLAIM] = rotated_from[FAMILY_CLAIM]
        refresh[SIGNED_IN_AT_CLAIM] = rotated_from.get(SIGNED_IN_AT_CLAIM, refresh["iat"])
    else:
        refresh[FAMILY_CLAIM] = refresh[api_settings.JTI_CLAIM]
        refresh[SIGNED_IN_AT_CLAIM] = refresh["iat"]
    # simplejwt stored the token before these claims: store it as handed out, so
    # ending a session can find its tokens by family.
    OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).update(token=str(refresh))
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInputError(_("Choose a stronger password."), fields={field: list(exc.messages)}) from exc


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
    taken = ConflictError(_("An account with this email already exists."), fields={"email": [_("Already registered.")]})
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email, password, display_name=display_name, timezone=timezone, daily_goal=daily_goal
            )
    except IntegrityError as exc:  # lost a race with an identical sign-up
        raise taken from exc


def user_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Checks the password through the sign-in guard (``authenticate`` with the
    request, so a refused attempt checks no password and a wrong one counts)."""
    user = authenticate(request, username=email, password=password)
    if user is None:
        raise sign_in_guard.refused(request, email) or AuthenticationError(_("Email or password is wrong."))
    signed_in(request=request, user=user)
    return user


def signed_in(*, request: HttpRequest, user: User) -> None:
    """What a session login sends too: sets ``last_login`` (what UPDATE_LAST_LOGIN
    promises; simplejwt only does it in its own views) and clears this address's
    failed attempts on the account."""
    user_logged_in.send(sender=type(user), request=request, user=user)


def _guard_account(user: User) -> str:
    # The name the guard counts the account under: what a login would type.
    return user.email or str(user.uuid)


def verify_password(*, request: HttpRequest, user: User, password: str, field: str) -> None:
    """A signed-in user's password check (changing it, deleting the account) is a
    door too: a stolen access token must not become unlimited password guesses."""
    sign_in_guard.check(request, username=_guard_account(user))
    if not user.check_password(password):
        sign_in_guard.failed(request, username=_guard_account(user))
        raise InvalidInputError(_("The password is wrong."), fields={field: [_("Wrong password.")]})


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
    day_settings_changed.publish(DaySettingsChanged(user=user))


def user_update(*, user: User, now: datetime | None = None, **changes: object) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInputError(
            _("These fields cannot be changed."), fields={name: [_("Read-only.")] for name in unknown}
        )
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


def user_saved_by_staff(*, user: User, visibility_before: str, deactivated: bool = False) -> None:
    """The admin saved ``user`` through its own form; tells whoever reacts,
    as ``user_update`` does for the profile API (and, when staff turned the
    account off, that it leaves boards and live feeds, its sockets closed)."""
    with transaction.atomic():
        _publish_visibility(user, visibility_before)
        if deactivated:
            account_deactivated.publish(AccountDeactivated(user=user))


def _publish_visibility(user: User, before: str) -> None:
    if user.visibility != before:
        # Boards and live feeds must stop (or start) showing them at once, not at their next sync.
        visibility_changed.publish(VisibilityChanged(user=user, before=before))


def password_change(*, request: HttpRequest, user: User, old_password: str, new_password: str) -> TokenPair:
    """Sets the new password, signs out every other session, and returns fresh tokens."""
    verify_password(request=request, user=user, password=old_password, field="old_password")
    _check_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _blacklist_all_refresh_tokens(user)
    return tokens_for(user)


def password_reset(*, user: User, new_password: str) -> None:
    """A reset through an e-mailed link (its form checked the validators): sets
    the password and ends every API session, as a change does. The link was the
    proof of identity, so no old password is asked."""
    _check_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _blacklist_all_refresh_tokens(user)


SPENT_REFRESH = gettext_lazy("This refresh token is invalid or already used.")


def refresh_rotate(*, request: HttpRequest, refresh: str) -> TokenPair:
    """Trades a refresh token for a new pair; the old one is spent for good.

    A spent one presented again means two parties hold the session (a stolen
    token, used by the thief or by its owner after the thief): the whole session
    ends, every refresh token of it and, at once, its access tokens. Refused
    tokens count against the client's address in the sign-in guard."""
    sign_in_guard.check(request, username=None)
    try:
        token = _live_refresh_token(refresh)
    except AuthenticationError:
        _end_session_if_reused(refresh)
        sign_in_guard.failed(request, username=None)
        raise
    user = User.objects.filter(uuid=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise AuthenticationError(_("This account no longer exists."))
    # simplejwt hints a BlacklistedToken; it returns get_or_create's (row, created).
    blacklisted: Any = token.blacklist()
    _row, spent_now = blacklisted
    if not spent_now:  # a concurrent refresh spent it first: used twice all the same
        _end_session(user, token.get(FAMILY_CLAIM))
        raise AuthenticationError(str(SPENT_REFRESH))
    return tokens_for(user, rotated_from=token)


def refresh_revoke(*, refresh: str) -> None:
    """Logs out one session: its refresh token stops working, and its access
    tokens too, at once."""
    token = _live_refresh_token(refresh)
    # Blacklisting a deleted account's token would recreate its token rows, owned by nobody.
    user = User.objects.filter(uuid=token.get(api_settings.USER_ID_CLAIM)).first()
    if user is None:
        raise AuthenticationError(_("This account no longer exists."))
    token.blacklist()
    _end_session(user, token.get(FAMILY_CLAIM))


def _end_session_if_reused(raw: str) -> None:
    try:
        # simplejwt hints Token | None; it takes the encoded token (checking signature and expiry, not the blacklist).
        payload = UntypedToken(raw).payload  # type: ignore[arg-type]
    except TokenError:
        return  # not one of ours, or expired: nothing to end
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return
    if not BlacklistedToken.objects.filter(token__jti=payload.get(api_settings.JTI_CLAIM)).exists():
        return
    public_id = payload.get(api_settings.USER_ID_CLAIM)
    user = User.objects.filter(uuid=public_id).first() if public_id is not None else None
    if user is not None:
        logger.warning("auth: a spent refresh token was used again; ending its session for user %s", user.pk)
        _end_session(user, payload.get(FAMILY_CLAIM))


def _end_session(user: User, family: str | None) -> None:
    """Blacklists every refresh token of the session (tokens from before sessions
    existed have no family: just the one presented) and denies its access tokens."""
    if family:
        live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        ended = [row for row in live if _family_of(row.token) == family]
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=row) for row in ended], ignore_conflicts=True)
        end_session(family)


def _family_of(raw: str) -> str | None:
    try:
        return UntypedToken(raw, verify=False).payload.get(FAMILY_CLAIM)  # type: ignore[arg-type]  # the encoded token, as above
    except TokenError:
        return None


def _live_refresh_token(refresh: str) -> RefreshToken:
    try:
        # simplejwt hints Token | None; it takes the encoded token, checking signature, expiry and the blacklist.
        return RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise AuthenticationError(str(SPENT_REFRESH)) from exc


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


class RecentSignInRequiredError(DomainError):
    status_code = 403
    code = "recent_sign_in_required"


def account_delete(
    *, request: HttpRequest, user: User, password: str | None, signed_in_at: float | None, now: datetime
) -> None:
    """``DELETE me``: a stolen access token must not be enough to erase someone.
    With a password, the password (a door of the sign-in guard); without one
    (Firebase-only), a sign-in in the last five minutes."""
    if user.has_usable_password():
        if not password:
            raise InvalidInputError(
                _("Give your password to delete the account."), fields={"password": [_("Required.")]}
            )
        verify_password(request=request, user=user, password=password, field="password")
    elif signed_in_at is None or now.timestamp() - float(signed_in_at) > RECENT_SIGN_IN_SECONDS:
        raise RecentSignInRequiredError(_("Sign in again (within the last five minutes) to delete the account."))
    user_delete(user=user)


def _active(user: User) -> User:
    if not user.is_active:
        raise AuthenticationError(_("This account is disabled."))
    return user


def firebase_sign_in(*, request: HttpRequest, id_token: str) -> tuple[User, bool]:
    """Finds or creates the user behind a Firebase ID token: (user, created).
    Refused tokens count against the client's address in the sign-in guard."""
    sign_in_guard.check(request, username=None)
    try:
        user, created = _firebase_user(id_token)
    except AuthenticationError:
        sign_in_guard.failed(request, username=None)
        raise
    signed_in(request=request, user=user)
    return user, created


def _firebase_user(id_token: str) -> tuple[User, bool]:
    try:
        app = firebase_app()
    except (OSError, ValueError) as exc:  # a missing or malformed service-account file
        logger.error("FIREBASE_CREDENTIALS is unusable: %s", exc)
        raise ServiceUnavailableError(_("Firebase sign-in is misconfigured on this server.")) from exc
    if app is None:
        raise ServiceUnavailableError(_("Firebase sign-in is not configured on this server."))
    try:
        claims = firebase_auth.verify_id_token(id_token, app=app)
    except firebase_auth.ExpiredIdTokenError as exc:
        raise AuthenticationError(_("The Firebase ID token has expired; get a fresh one.")) from exc
    except firebase_auth.CertificateFetchError as exc:
        logger.warning("firebase certificate fetch failed: %s", exc)
        raise ServiceUnavailableError(_("Cannot reach Firebase to check the token; try again shortly.")) from exc
    except (firebase_auth.InvalidIdTokenError, ValueError) as exc:
        raise AuthenticationError(_("The Firebase ID token is not valid.")) from exc

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
                        _("This email already belongs to another Firebase sign-in."),
                        fields={"email": [_("Already linked.")]},
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
