"""Reads of devices."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Device, User


def devices_of(*, user: User) -> QuerySet[Device]:
    """All of ``user``'s devices, the most recently seen first."""
    return Device.objects.filter(user=user).order_by("-last_seen_at", "-id")


def active_devices_of(*, user: User) -> QuerySet[Device]:
    """The devices a push to ``user`` goes to."""
    return Device.objects.filter(user=user, is_active=True).order_by("id")
