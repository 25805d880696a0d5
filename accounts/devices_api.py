"""Device endpoints (FCM tokens for goal pushes): parse, call a service, render."""

from __future__ import annotations

import uuid

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from infrastructure.api.serializers import StrictSerializer, validated

from . import devices_selectors, devices_services
from .models import Device, Platform
from .requests import SignedInRequest

# BCP 47 as phones report it: "en", "ko-KR", "zh-Hant-TW"; Android's "ko_KR" too.
LOCALE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"


class DeviceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True, help_text="The device's public id.")
    is_active = serializers.BooleanField(
        read_only=True, help_text="False once FCM reported the token as gone; registering it again reactivates it."
    )

    class Meta:
        model = Device
        fields = ["id", "token", "platform", "app_version", "locale", "is_active", "created_at", "last_seen_at"]
        read_only_fields = fields


class DeviceRegisterInput(StrictSerializer):
    token = serializers.CharField(max_length=255, help_text="The FCM registration token from the client SDK.")
    platform = serializers.ChoiceField(choices=Platform.choices)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True)
    locale = serializers.RegexField(
        LOCALE_PATTERN,
        max_length=16,
        required=False,
        help_text="The language pushes are written in, BCP 47 (e.g. ko-KR). New devices default to en.",
    )


class DeviceListView(APIView):
    @extend_schema(responses={200: DeviceSerializer(many=True)}, tags=["devices"])
    def get(self, request: SignedInRequest) -> Response:
        return Response(DeviceSerializer(devices_selectors.devices_of(user=request.user), many=True).data)

    @extend_schema(
        request=DeviceRegisterInput,
        responses={
            201: OpenApiResponse(DeviceSerializer, description="Registered (new here, or moved from another account)."),
            200: OpenApiResponse(DeviceSerializer, description="Already yours: refreshed and reactivated."),
        },
        tags=["devices"],
        description=(
            "Registers an FCM token, or refreshes it. Call it on every app start and whenever the token "
            "changes. A token registered by another account moves to this one."
        ),
    )
    def post(self, request: SignedInRequest) -> Response:
        device, created = devices_services.device_register(
            user=request.user, now=timezone.now(), **validated(DeviceRegisterInput, request.data)
        )
        return Response(
            DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DeviceDetailView(APIView):
    @extend_schema(responses={204: None}, tags=["devices"], description="Forgets the device: no more pushes to it.")
    def delete(self, request: SignedInRequest, device_id: uuid.UUID) -> Response:
        devices_services.device_delete(user=request.user, device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
