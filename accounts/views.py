"""Account pages: sign up, settings, password change. Each parses a form, calls ``accounts.services``, and
renders; sign-in, sign-out and the reset links are Django's own views
(``accounts.page_urls``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from infrastructure.api.errors import DomainError

from . import services
from .forms import PasswordChangeForm, ProfileForm, SignUpForm, time_zone_names
from .models import User
from .sign_in_guard import wait_message
from .throttles import PasswordResetAddressThrottle, PasswordResetIPThrottle, RegisterIPThrottle

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where ``next`` points, if it stays on this site; else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else resolve_url(fallback)


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required let only a signed-in user through
    return user


@sensitive_post_parameters("password1", "password2")
def sign_up(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = SignUpForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        throttle = RegisterIPThrottle()
        # The API's rule for sign-ups per address, counted in the same place.
        if not throttle.allow_request(request, None):  # it reads only META
            form.add_error(
                None, _("Too many sign-ups from this address.") + " " + wait_message(int(throttle.wait() or 60))
            )
            status = 429
        else:
            try:
                user = services.user_create(**form.validated)
            except DomainError as error:
                form.add_service_error(error)
            else:
                login(request, user, backend=SESSION_BACKEND)
                messages.success(request, _("Welcome, %(name)s! Your account is ready.") % {"name": user.display_name})
                return redirect(next_url)
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "next": next_url, "time_zones": time_zone_names()}
    return render(request, "accounts/sign_up.html", context, status=status)


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    if request.method != "POST":
        form = ProfileForm.for_user(user)
        return render(request, "accounts/settings.html", {"form": form, "time_zones": time_zone_names()})
    form = ProfileForm.for_user(user, data=request.POST)
    if form.is_valid():
        try:
            services.user_update(user=user, **form.validated)
        except DomainError as error:
            form.add_service_error(error)
        else:
            # Said in the language the next page will be in, if that just changed.
            with translation.override(user.language or translation.get_language()):
                if form.validated:
                    messages.success(request, _("Your settings are saved."))
                else:
                    messages.info(request, _("Nothing changed."))
            return redirect("account-settings")
    user.refresh_from_db()  # the failed update may have set attributes on it
    context = {"form": form, "time_zones": time_zone_names()}
    return render(request, "accounts/settings.html", context, status=400)


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.password_change(request=request, user=user, **form.validated)
            # A held-back attempt (SignInThrottledError) never gets here as a form: the sign-in
            # guard's middleware answers it with its own page (429), as at the sign-in door.
            except DomainError as error:
                form.add_service_error(error)
            else:
                update_session_auth_hash(request, user)  # this browser stays signed in; every other session ends
                messages.success(request, _("Your password is changed. Other devices must sign in again."))
                return redirect("account-settings")
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


class ResetRequestView(auth_views.PasswordResetView):
    """Django's reset request, under two limits: per client IP and per address."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        throttles = [PasswordResetIPThrottle(), PasswordResetAddressThrottle(form.cleaned_data["email"])]
        # DRF's throttles take a DRF request and view; they read only the address in META.
        refused = [t for t in throttles if not t.allow_request(self.request, None)]
        if refused:
            wait = max(int(throttle.wait() or 60) for throttle in refused)
            form.add_error(None, _("Too many reset e-mails asked for.") + " " + wait_message(wait))
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().form_valid(form)
