"""The web pages' account forms. Each checks its input with the API's own
serializer (``accounts.api``), so a page and ``POST register`` / ``PATCH me``
refuse the same things in the same words; the forms only render fields and
carry the errors back to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from infrastructure.api.errors import DomainError

from . import api, services
from .emails import PasswordResetForm as LocalisedPasswordResetForm
from .models import DAILY_GOAL_MAX, DAILY_GOAL_MIN, DEFAULT_DAILY_GOAL, Language, User, Visibility, known_time_zones

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrOrPromise  # what gettext_lazy gives (stubs only)

VISIBILITY_CHOICES = [
    (Visibility.PUBLIC.value, _("Everyone")),
    (Visibility.FRIENDS.value, _("Friends only")),
    (Visibility.PRIVATE.value, _("Only me")),
]
# Each language named in itself, as language menus do.
LANGUAGE_CHOICES = [("", _("The browser's language")), *((code, label) for code, label in Language.choices)]


class DescribedErrorsMixin:
    """Ties each field's error to its input (``aria-describedby``), so a screen
    reader reads it with the field; the template renders it under that id."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                field = self[name]  # type: ignore[index]
                field.field.widget.attrs["aria-describedby"] = f"{field.auto_id}_error"


class ApiCheckedForm(DescribedErrorsMixin, forms.Form):
    """A form whose fields are checked by ``serializer_class``; ``api_names``
    maps a form field to the serializer's name for it where they differ."""

    serializer_class: type[serializers.Serializer]
    api_names: dict[str, str] = {}

    def api_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {self.api_names.get(name, name): value for name, value in cleaned.items() if name in self._api_fields()}

    def _api_fields(self) -> set[str]:
        return set(self.fields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        checked = self.serializer_class(data=self.api_data(cleaned))
        if checked.is_valid():
            self.validated: dict[str, Any] = dict(checked.validated_data)
        else:
            for name, messages in checked.errors.items():
                self.add_api_errors(name, messages)
        return cleaned

    def _form_name(self, api_name: str) -> str:
        return next((name for name, known in self.api_names.items() if known == api_name), api_name)

    def add_api_errors(self, api_name: str, messages: Any) -> None:
        """Puts a serializer's or service's errors on the matching field (or
        above the form when none matches), the first message of each field only."""
        name = self._form_name(api_name)
        message = str(messages[0] if isinstance(messages, list) else messages)
        if name not in self.fields:
            self.add_error(None, message)
        elif name not in self.errors:
            self.add_error(name, message)

    def add_service_error(self, error: DomainError) -> None:
        """What a service refused: its message above the form, its field errors beside the fields."""
        self.add_error(None, error.message)
        for name, messages in (error.fields or {}).items():
            self.add_api_errors(name, messages)


def _text(label: str | StrOrPromise, **attrs: Any) -> forms.CharField:
    # Plain text on the way in: the serializer decides what is valid, with its messages.
    return forms.CharField(label=label, required=False, strip=False, widget=forms.TextInput(attrs=attrs))


def _password(label: str | StrOrPromise, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label, strip=False, required=False, widget=forms.PasswordInput(attrs={"autocomplete": autocomplete})
    )


def _goal_input() -> forms.CharField:
    return _text(
        _("Daily goal (steps)"), type="number", min=DAILY_GOAL_MIN, max=DAILY_GOAL_MAX, step=1, inputmode="numeric"
    )


def _zone_input() -> forms.CharField:
    return _text(_("Time zone"), list="time-zones", autocomplete="off", spellcheck="false")


def time_zone_names() -> list[str]:
    return sorted(known_time_zones())


class SignUpForm(ApiCheckedForm):
    serializer_class = api.RegisterInput
    api_names = {"password1": "password"}

    email = _text(_("Email"), type="email", autocomplete="email")
    display_name = _text(_("Display name"), autocomplete="nickname", maxlength=64)
    password1 = _password(_("Password"), "new-password")
    password2 = _password(_("Password again"), "new-password")
    timezone = _zone_input()
    daily_goal = _goal_input()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"timezone": "UTC", "daily_goal": DEFAULT_DAILY_GOAL})
        super().__init__(*args, **kwargs)

    def _api_fields(self) -> set[str]:
        return set(self.fields) - {"password2"}

    def api_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().api_data(cleaned)
        # An empty box means "the default", as leaving the field out of the API's body does.
        return {name: value for name, value in data.items() if value != "" or name not in {"timezone", "daily_goal"}}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned


class ProfileForm(ApiCheckedForm):
    serializer_class = api.ProfileInput

    display_name = _text(_("Display name"), autocomplete="nickname", maxlength=64)
    timezone = _zone_input()
    daily_goal = _goal_input()
    visibility = forms.ChoiceField(
        label=_("Who sees you on the boards"), choices=VISIBILITY_CHOICES, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    quiet_hours_start = _text(_("Quiet from"), type="time")
    quiet_hours_end = _text(_("Quiet until"), type="time")

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> ProfileForm:
        initial = {
            "display_name": user.display_name,
            "timezone": user.timezone,
            "daily_goal": user.daily_goal,
            "visibility": user.visibility,
            "language": user.language,
            "quiet_hours_start": user.quiet_hours_start.strftime("%H:%M"),
            "quiet_hours_end": user.quiet_hours_end.strftime("%H:%M"),
        }
        return cls(data=data, initial=initial)

    def api_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        # What changed only, as a PATCH sends: an untouched field is no change at all.
        return {name: value for name, value in super().api_data(cleaned).items() if name in self.changed_data}


class PasswordChangeForm(ApiCheckedForm):
    serializer_class = api.PasswordChangeInput
    api_names = {"new_password1": "new_password"}

    old_password = _password(_("Current password"), "current-password")
    new_password1 = _password(_("New password"), "new-password")
    new_password2 = _password(_("New password again"), "new-password")

    def _api_fields(self) -> set[str]:
        return {"old_password", "new_password1"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("new_password1") and cleaned.get("new_password1") != cleaned.get("new_password2"):
            self.add_error("new_password2", _("The two passwords do not match."))
        return cleaned


class ResetRequestForm(DescribedErrorsMixin, LocalisedPasswordResetForm):
    """Django's form (it sends nothing, and says nothing different, for an
    unknown address); the e-mail is written in the account's own language."""


class ResetPasswordForm(DescribedErrorsMixin, SetPasswordForm):
    """Django's form (the same password validators as sign-up), saved by our
    service, so a reset also ends the account's API sessions."""

    def save(self, commit: bool = True) -> Any:
        services.password_reset(user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user
