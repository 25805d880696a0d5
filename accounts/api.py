"""Sign-up, sign-in and profile endpoints: parse, call a service, render."""

from __future__ import annotations

from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token as JsonWebToken

from infrastructure.api.schema import BodyOnDeleteSchema
from infrastructure.api.serializers import StrictSerializer, WallClockField, validated
from infrastructure.api.throttling import ReadThrottle

from . import services
from .models import DAILY_GOAL_MAX, DAILY_GOAL_MIN, DEFAULT_DAILY_GOAL, Language, User, Visibility, validate_timezone
from .requests import SignedInRequest
from .throttles import RegisterIPThrottle

LANGUAGE_CHOICES = [("", "Follow the browser"), *Language.choices]


class UserSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True, help_text="The user's public id.")
    quiet_hours_start = WallClockField(read_only=True, help_text="Local HH:MM; a due push waits from then.")
    quiet_hours_end = WallClockField(read_only=True, help_text="Local HH:MM; waiting pushes go then.")
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        read_only=True,
        help_text=(
            'en or ko: what error messages, pages, e-mails and pushes are written in; blank ("") follows the '
            "request's Accept-Language (a device's locale for pushes), else English. Error codes stay English."
        ),
    )

    class Meta:
        model = User
        fields = [
            "id", "email", "display_name", "timezone", "daily_goal", "visibility",
            "quiet_hours_start", "quiet_hours_end", "language", "date_joined",
        ]  # fmt: skip
        read_only_fields = fields


def _timezone_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=64, validators=[validate_timezone], help_text="An IANA time zone, e.g. Europe/Berlin.", **kwargs
    )


def _goal_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=DAILY_GOAL_MIN, max_value=DAILY_GOAL_MAX, **kwargs)


class RegisterInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, help_text=" ".join(password_validators_help_texts())
    )
    display_name = serializers.CharField(max_length=64)
    timezone = _timezone_field(default="UTC")
    daily_goal = _goal_field(default=DEFAULT_DAILY_GOAL)


class LoginInput(StrictSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInput(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class FirebaseInput(StrictSerializer):
    id_token = serializers.CharField(max_length=8192, help_text="An ID token from the Firebase client SDK.")


class ProfileInput(StrictSerializer):
    display_name = serializers.CharField(max_length=64, required=False)
    timezone = _timezone_field(required=False)
    daily_goal = _goal_field(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    quiet_hours_start = WallClockField(
        required=False, help_text="Local HH:MM from which pushes wait (22:00 unless set)."
    )
    quiet_hours_end = WallClockField(
        required=False, help_text="Local HH:MM when waiting pushes go (07:00); equal to the start: no quiet hours."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        help_text="en or ko: pages, error messages, e-mails and pushes; blank follows Accept-Language.",
    )


class DeleteAccountInput(StrictSerializer):
    password = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        required=False,
        help_text="Required for accounts with a password; Firebase-only accounts need a sign-in in the last 5 minutes.",
    )


class PasswordChangeInput(StrictSerializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; lives 15 minutes.")
    refresh = serializers.CharField(help_text="Trade at auth/refresh for a new pair; each is usable once.")


class AuthResponse(TokenPairSerializer):
    user = UserSerializer()


class FirebaseAuthResponse(AuthResponse):
    created = serializers.BooleanField(help_text="True when this sign-in created the account.")


def _auth_body(user: User, tokens: services.TokenPair, **extra: object) -> dict:
    return {"user": UserSerializer(user).data, "access": tokens.access, "refresh": tokens.refresh, **extra}


class PublicAuthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicAuthView):
    throttle_classes = [RegisterIPThrottle]

    @extend_schema(
        request=RegisterInput,
        responses={201: AuthResponse, 409: OpenApiResponse(description="An account with this email already exists.")},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        user = services.user_create(**validated(RegisterInput, request.data))
        return Response(_auth_body(user, services.tokens_for(user)), status=status.HTTP_201_CREATED)


# Sign-in doors are limited by failures (accounts/sign_in_guard.py), not by a request rate.
SIGN_IN_GUARD_NOTE = (
    "Failed attempts are limited per (account, client address), per address and, loosely, per account; "
    'beyond them a 429 with `retry_after` (README, "Threat model").'
)


class LoginView(PublicAuthView):
    @extend_schema(request=LoginInput, responses={200: AuthResponse}, tags=["auth"], description=SIGN_IN_GUARD_NOTE)
    def post(self, request: Request) -> Response:
        user = services.user_login(request=request._request, **validated(LoginInput, request.data))
        return Response(_auth_body(user, services.tokens_for(user)))


class RefreshView(PublicAuthView):
    @extend_schema(request=RefreshInput, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        tokens = services.refresh_rotate(request=request._request, **validated(RefreshInput, request.data))
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class LogoutView(PublicAuthView):
    @extend_schema(request=RefreshInput, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        services.refresh_revoke(**validated(RefreshInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FirebaseView(PublicAuthView):
    @extend_schema(
        request=FirebaseInput,
        responses={
            200: FirebaseAuthResponse,
            409: OpenApiResponse(
                description="The verified email belongs to an account linked to another Firebase user."
            ),
            503: OpenApiResponse(
                description="Firebase sign-in is not configured, or Google's certificates are out of reach."
            ),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        user, created = services.firebase_sign_in(request=request._request, **validated(FirebaseInput, request.data))
        return Response(_auth_body(user, services.tokens_for(user), created=created))


class MeView(APIView):
    throttle_classes = [ReadThrottle]
    schema = BodyOnDeleteSchema()

    @extend_schema(responses={200: UserSerializer}, tags=["profile"])
    def get(self, request: SignedInRequest) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=ProfileInput, responses={200: UserSerializer}, tags=["profile"])
    def patch(self, request: SignedInRequest) -> Response:
        user = services.user_update(user=request.user, **validated(ProfileInput, request.data))
        return Response(UserSerializer(user).data)

    @extend_schema(
        request=DeleteAccountInput,
        responses={
            204: None,
            403: OpenApiResponse(
                description="A Firebase-only account signed in more than 5 minutes ago (`recent_sign_in_required`)."
            ),
        },
        tags=["profile"],
        description=(
            "Removes the account and all its rows. Asks for the password (`{password}`; a wrong one is a 400 and "
            "counts in the sign-in guard); an account without one needs a sign-in in the last five minutes."
        ),
    )
    def delete(self, request: SignedInRequest) -> Response:
        data = validated(DeleteAccountInput, request.data)
        services.account_delete(
            request=request._request,
            user=request.user,
            password=data.get("password"),
            signed_in_at=request.auth.get(services.SIGNED_IN_AT_CLAIM)
            if isinstance(request.auth, JsonWebToken)
            else None,
            now=timezone.now(),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        request=PasswordChangeInput,
        responses={200: TokenPairSerializer},
        tags=["profile"],
        description="Changes the password, signs out every other session, and returns a fresh token pair.",
    )
    def post(self, request: SignedInRequest) -> Response:
        tokens = services.password_change(
            request=request._request, user=request.user, **validated(PasswordChangeInput, request.data)
        )
        return Response({"access": tokens.access, "refresh": tokens.refresh})
