"""Everything that changes a device: register or refresh, delete, deactivate."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from infrastructure.api.errors import NotFoundError

from .models import Device, User

DEFAULT_LOCALE = "en"


def device_register(
    *,
    user: User,
    token: str,
    platform: str,
    now: datetime,
    app_version: str | None = None,
    locale: str | None = None,
) -> tuple[Device, bool]:
    """Registers an FCM token for ``user``, or refreshes it: (device, created).

    A token names one app install, so it belongs to whoever signed in on it
    last: a token held by another account moves here (with a new public id).
    Refreshing marks the device seen, takes the new locale and app version
    when given, and reactivates a token FCM had reported as gone.
    """
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token=token).first()
        if device is None:
            try:
                with transaction.atomic():  # savepoint: an identical registration may win the race
                    device = Device.objects.create(
                        user=user,
                        token=token,
                        platform=platform,
                        app_version=app_version or "",
                        locale=locale or DEFAULT_LOCALE,
                        created_at=now,
                        last_seen_at=now,
                    )
                    return device, True
            except IntegrityError:
                device = Device.objects.select_for_update().get(token=token)

        created = device.user_id != user.pk
        if created:
            device.user = user
            device.uuid = uuid.uuid4()
            device.created_at = now
        device.platform = platform
        if app_version is not None:
            device.app_version = app_version
        if locale is not None:
            device.locale = locale
        device.is_active = True
        device.deactivated_reason = ""
        device.last_seen_at = now
        device.save()
        return device, created


def device_delete(*, user: User, device_id: uuid.UUID) -> None:
    """Forgets one of ``user``'s devices; someone else's device is not found."""
    deleted, _kinds = Device.objects.filter(user=user, uuid=device_id).delete()
    if not deleted:
        raise NotFoundError(_("No such device."))


def device_deactivate(*, device: Device, reason: str) -> None:
    """Stops pushes to a token FCM refused for good (e.g. the app was uninstalled).

    The app gets a new token when it next starts and registers that one.
    """
    Device.objects.filter(pk=device.pk).update(is_active=False, deactivated_reason=reason[:64])
