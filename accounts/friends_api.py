"""Friends endpoints (``/api/v1/friends/``): parse, call a service or selector, render.

People are named by their public id (``user.uuid``). Requests are named by
the other person: ``requests/<id>/accept`` and ``/decline`` act on the
request *from* ``<id>``; ``DELETE requests/<id>`` cancels yours *to* ``<id>``.
"""

from __future__ import annotations

from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from infrastructure.api.serializers import StrictSerializer, validated
from infrastructure.api.throttling import ReadThrottle

from . import friends_services, selectors
from .models import Friendship, FriendshipStatus
from .requests import SignedInRequest
from .throttles import FriendRequestThrottle


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid", help_text="The person's public id.")
    display_name = serializers.CharField()


class FriendLinkSerializer(serializers.Serializer):
    user = PersonSerializer()
    since = serializers.DateTimeField(help_text="When the friendship began, or when the request was sent.")


class FriendListSerializer(serializers.Serializer):
    friends = FriendLinkSerializer(many=True)


class RequestListSerializer(serializers.Serializer):
    incoming = FriendLinkSerializer(many=True, help_text="Requests others sent you, newest first.")
    outgoing = FriendLinkSerializer(many=True, help_text="Requests you sent, newest first.")


class FriendshipSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FriendshipStatus.choices)
    user = PersonSerializer(help_text="The other person.")
    since = serializers.DateTimeField()


class FriendRequestInput(StrictSerializer):
    user_id = serializers.UUIDField(required=False, help_text="The public id of the person to ask.")
    email = serializers.EmailField(required=False, max_length=254, help_text="Or their email address.")

    def validate(self, attrs: dict) -> dict:
        if ("user_id" in attrs) == ("email" in attrs):
            raise serializers.ValidationError(_("Give either user_id or email."))
        return attrs


def _friendship_body(row: Friendship, viewer_pk: int) -> dict:
    other = row.to_user if row.from_user_id == viewer_pk else row.from_user
    since = row.accepted_at if row.status == FriendshipStatus.ACCEPTED else row.created_at
    return FriendshipSerializer({"status": row.status, "user": other, "since": since}).data


class FriendListView(APIView):
    throttle_classes = [ReadThrottle]

    @extend_schema(responses={200: FriendListSerializer}, tags=["friends"], summary="Your friends")
    def get(self, request: SignedInRequest) -> Response:
        return Response(FriendListSerializer({"friends": selectors.friends_of(request.user)}).data)


class FriendDetailView(APIView):
    @extend_schema(responses={204: None}, tags=["friends"], summary="Stop being friends")
    def delete(self, request: SignedInRequest, user_id: UUID) -> Response:
        friends_services.friend_remove(user=request.user, friend_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestListView(APIView):
    def get_throttles(self):
        # Asking counts against its own rate; reading the lists against the read rate.
        return [FriendRequestThrottle()] if self.request.method == "POST" else [ReadThrottle()]

    @extend_schema(responses={200: RequestListSerializer}, tags=["friends"], summary="Pending requests, both ways")
    def get(self, request: SignedInRequest) -> Response:
        body = {
            "incoming": selectors.incoming_requests(request.user),
            "outgoing": selectors.outgoing_requests(request.user),
        }
        return Response(RequestListSerializer(body).data)

    @extend_schema(
        request=FriendRequestInput,
        responses={
            201: OpenApiResponse(FriendshipSerializer, description="Request sent (status pending)."),
            200: OpenApiResponse(
                FriendshipSerializer, description="They had already asked you: you are now friends (status accepted)."
            ),
            409: OpenApiResponse(
                description="Already asked (`already_requested`) or already friends (`already_friends`)."
            ),
        },
        tags=["friends"],
        summary="Ask someone to be friends",
        description=(
            "By public id or email. Asking yourself is a 400 (`self_request`); asking twice, or asking a friend, "
            "a 409 (`already_requested`, `already_friends`); no such person, a 404. At most "
            "`THROTTLE_FRIEND_REQUEST_USER` requests per user (30 an hour), then a 429."
        ),
    )
    def post(self, request: SignedInRequest) -> Response:
        data = validated(FriendRequestInput, request.data)
        row = friends_services.friend_request_send(
            user=request.user, now=timezone.now(), to_user_id=data.get("user_id"), email=data.get("email")
        )
        created = row.status == FriendshipStatus.PENDING
        return Response(
            _friendship_body(row, request.user.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class FriendRequestCancelView(APIView):
    @extend_schema(responses={204: None}, tags=["friends"], summary="Withdraw your request to this person")
    def delete(self, request: SignedInRequest, user_id: UUID) -> Response:
        friends_services.friend_request_cancel(user=request.user, to_user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestAcceptView(APIView):
    @extend_schema(request=None, responses={200: FriendshipSerializer}, tags=["friends"], summary="Accept a request")
    def post(self, request: SignedInRequest, user_id: UUID) -> Response:
        row = friends_services.friend_request_accept(user=request.user, from_user_id=user_id, now=timezone.now())
        return Response(_friendship_body(row, request.user.pk))


class FriendRequestDeclineView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["friends"], summary="Decline a request")
    def post(self, request: SignedInRequest, user_id: UUID) -> Response:
        friends_services.friend_request_decline(user=request.user, from_user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
