"""Groups and challenges (``/api/v1/groups``, ``/api/v1/challenges``): parse, call, render.

People are named by their public id (``user.uuid``); groups, challenges and
teams by their numeric id. Someone else's private group, and its challenges,
are a 404 as if they did not exist.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.friends_api import PersonSerializer
from accounts.models import User
from infrastructure.api.errors import NotFoundError
from infrastructure.api.serializers import StrictSerializer, validated

from . import board_services, selectors, services
from .models import (
    MAX_DAILY_CAP,
    MAX_PERIOD_DAYS,
    MIN_DAILY_CAP,
    Challenge,
    Group,
    GroupVisibility,
    Kind,
    Membership,
    Role,
    Scope,
    State,
    Team,
    TeamScoring,
)
from .selectors import MAX_LIMIT, MAX_OFFSET, BoardPage, Row

CONFLICT = "Conflict: see `error.message` (already joined, final, full, taken)."

# --- Shapes ---------------------------------------------------------------------


class GroupMemberSerializer(serializers.Serializer):
    user = PersonSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.ChoiceField(choices=GroupVisibility.choices)
    code = serializers.CharField(allow_null=True, help_text="The invite code: members only.")
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True, help_text="Yours; null if not a member.")
    member_count = serializers.IntegerField()


class GroupDetailSerializer(GroupSerializer):
    members = GroupMemberSerializer(many=True, help_text="A page of members, oldest first.")
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()


class GroupListSerializer(serializers.Serializer):
    groups = GroupSerializer(many=True)


class ChallengeTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()


class ChallengeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    state = serializers.ChoiceField(choices=State.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    grace_ends_at = serializers.DateTimeField(help_text="Late syncs for the period's days count until then.")
    group = serializers.IntegerField(allow_null=True)
    daily_cap = serializers.IntegerField()
    target = serializers.IntegerField(allow_null=True)
    team_scoring = serializers.ChoiceField(choices=TeamScoring.choices)
    team_size_cap = serializers.IntegerField(allow_null=True)
    opponent = PersonSerializer(allow_null=True)
    participant_count = serializers.IntegerField()
    joined = serializers.BooleanField(help_text="Whether you are in it.")
    my_team = serializers.IntegerField(allow_null=True)


class ChallengeDetailSerializer(ChallengeSerializer):
    teams = ChallengeTeamSerializer(many=True)


class ChallengeListSerializer(serializers.Serializer):
    challenges = ChallengeSerializer(many=True)


class ChallengeEntrantSerializer(serializers.Serializer):
    challenge = serializers.IntegerField()
    team = serializers.IntegerField(allow_null=True)
    joined_at = serializers.DateTimeField()


class ChallengeEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Shared on equal scores (1, 2, 2, 4), earliest first.")
    score = serializers.FloatField(help_text="Steps, goal days, streak days, or a team's total or average.")
    name = serializers.CharField(help_text="A person's or team's name; \"former participant\" for a deleted account.")
    user = serializers.UUIDField(allow_null=True, help_text="People: the public id (null for a former participant).")
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()


class ChallengeBoardMeSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()
    team = serializers.IntegerField(allow_null=True)


class ChallengeBoardSerializer(serializers.Serializer):
    challenge = serializers.IntegerField()
    state = serializers.ChoiceField(choices=State.choices)
    final = serializers.BooleanField(help_text="True once the table is frozen.")
    scope = serializers.ChoiceField(choices=Scope.choices)
    count = serializers.IntegerField()
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    entries = ChallengeEntrySerializer(many=True)
    me = ChallengeBoardMeSerializer(allow_null=True, help_text="Your place; null if you are not in the challenge.")
    summary = serializers.DictField(
        help_text=(
            "head_to_head: {outcome: win|draw|pending, winner}; group_target: {total, target, percent, reached_on}."
        )
    )


# --- Inputs -----------------------------------------------------------------------


class GroupInput(StrictSerializer):
    name = serializers.CharField(max_length=80)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=GroupVisibility.choices, default=GroupVisibility.PRIVATE)


class RoleInput(StrictSerializer):
    # The same choices as the output's (one enum in the schema); "owner" is a 409: a group has one.
    role = serializers.ChoiceField(choices=Role.choices, help_text="admin or member (a group has one owner)")


class JoinGroupInput(StrictSerializer):
    code = serializers.CharField(max_length=16)


class PageInput(StrictSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=50)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)


class ChallengeInput(StrictSerializer):
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=Kind.choices)
    starts_on = serializers.DateField(help_text="Today (your local today) or later.")
    ends_on = serializers.DateField(help_text=f"Inclusive; at most {MAX_PERIOD_DAYS} days after starts_on.")
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)
    daily_cap = serializers.IntegerField(
        required=False, min_value=0, max_value=10**9, help_text=f"{MIN_DAILY_CAP:,} to {MAX_DAILY_CAP:,}; 30,000."
    )
    target = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10**12)
    team_scoring = serializers.ChoiceField(choices=TeamScoring.choices, required=False)
    team_size_cap = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100_000)
    opponent = serializers.UUIDField(required=False, allow_null=True, help_text="head_to_head: their public id.")
    grace_hours = serializers.IntegerField(required=False, min_value=0, max_value=24 * 30)


class ChallengeListInput(PageInput):
    state = serializers.ChoiceField(choices=State.choices, required=False)


class JoinInput(StrictSerializer):
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)


class TeamInput(StrictSerializer):
    name = serializers.CharField(max_length=80)


class BoardInput(PageInput):
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.PEOPLE)


# --- Rendering --------------------------------------------------------------------


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": str(user.uuid), "display_name": user.display_name}


def _group_body(group: Group, membership: Membership | None, member_count: int) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "visibility": group.visibility,
        "code": group.invite_code if membership is not None else None,
        "role": membership.role if membership is not None else None,
        "member_count": member_count,
    }


def challenge_body(challenge: Challenge, *, viewer: User, now, teams: list[Team] | None = None) -> dict:
    mine = selectors.participant_of(challenge=challenge, user=viewer)
    count = getattr(challenge, "participant_count", None)
    body = {
        "id": challenge.pk,
        "name": challenge.name,
        "kind": challenge.kind,
        "state": challenge.state_at(now).value,
        "starts_on": challenge.starts_on.isoformat(),
        "ends_on": challenge.ends_on.isoformat(),
        "grace_ends_at": challenge.grace_ends_at.isoformat().replace("+00:00", "Z"),
        "group": challenge.group_id,
        "daily_cap": challenge.daily_cap,
        "target": challenge.target,
        "team_scoring": challenge.team_scoring,
        "team_size_cap": challenge.team_size_cap,
        "opponent": _person(challenge.opponent),
        "participant_count": count if count is not None else challenge.participants.count(),
        "joined": mine is not None,
        "my_team": mine.team_id if mine is not None else None,
    }
    if teams is not None:
        body["teams"] = [{"id": t.pk, "name": t.name, "size": getattr(t, "size", 0)} for t in teams]
    return body


def _number(score: float) -> float | int:
    return int(score) if float(score).is_integer() else score


def entry_body(row: Row) -> dict:
    return {
        "rank": row.rank,
        "score": _number(row.score),
        "name": row.name,
        "user": row.user_id,
        "team": row.team_id,
        "team_name": row.team_name,
    }


def board_body(challenge: Challenge, page: BoardPage, *, scope: Scope, offset: int, limit: int, now) -> dict:
    me = None
    if page.me is not None:
        team = page.me.pk if scope == Scope.TEAMS else page.me.team_id
        me = {"rank": page.me.rank, "score": _number(page.me.score), "team": team}
    return {
        "challenge": challenge.pk,
        "state": challenge.state_at(now).value,
        "final": page.final,
        "scope": scope.value,
        "count": page.count,
        "offset": offset,
        "limit": limit,
        "entries": [entry_body(row) for row in page.entries],
        "me": me,
        "summary": page.summary,
    }


def _me(request: Request) -> User:
    # Every view here needs a signed-in user (IsAuthenticated is the default permission).
    return cast(User, request.user)


# --- Lookups -----------------------------------------------------------------------


def _group_for(group_id: int, user: User) -> tuple[Group, Membership | None]:
    found = selectors.visible_group(group_id=group_id, user=user)
    if found is None:
        raise NotFoundError(_("No such group."))
    return found


def challenge_for(challenge_id: int, user: User, now) -> Challenge:
    """The challenge if the viewer may see it; frozen first if its grace window is over."""
    challenge = selectors.visible_challenge(challenge_id=challenge_id, user=user)
    if challenge is None:
        raise NotFoundError(_("No such challenge."))
    services.finalise_if_due(challenge=challenge, now=now)
    return challenge


def board_for(challenge_id: int, user: User, now) -> selectors.BoardOf:
    """``challenge_for`` and the viewer's entry, in one query (a board read needs both)."""
    found = selectors.visible_board(challenge_id=challenge_id, user=user)
    if found is None:
        raise NotFoundError(_("No such challenge."))
    services.finalise_if_due(challenge=found.challenge, now=now)
    return found


# --- Groups ------------------------------------------------------------------------


class GroupListView(APIView):
    @extend_schema(
        responses={200: GroupListSerializer}, tags=["groups"], summary="Your groups", operation_id="groups_mine"
    )
    def get(self, request: Request) -> Response:
        rows = selectors.groups_of(user=_me(request))
        return Response({"groups": [_group_body(m.group, m, getattr(m, "members", 0)) for m in rows]})

    @extend_schema(
        request=GroupInput,
        responses={201: GroupSerializer},
        tags=["groups"],
        summary="Start a group (you are its owner)",
        description="The answer carries the invite `code` others join with.",
    )
    def post(self, request: Request) -> Response:
        data = validated(GroupInput, request.data)
        group = services.group_create(user=_me(request), now=timezone.now(), **data)
        membership = selectors.membership_of(group=group, user=_me(request))
        return Response(_group_body(group, membership, 1), status=status.HTTP_201_CREATED)


class GroupJoinView(APIView):
    @extend_schema(
        request=JoinGroupInput,
        responses={200: GroupSerializer, 409: OpenApiResponse(description="Already a member.")},
        tags=["groups"],
        summary="Join a group by its invite code",
        description="Joining is consent: the group's members see your name on its boards, whatever your visibility.",
    )
    def post(self, request: Request) -> Response:
        data = validated(JoinGroupInput, request.data)
        group = services.group_join(user=_me(request), code=data["code"], now=timezone.now())
        membership = selectors.membership_of(group=group, user=_me(request))
        return Response(_group_body(group, membership, group.memberships.count()))


class GroupDetailView(APIView):
    @extend_schema(parameters=[PageInput], responses={200: GroupDetailSerializer}, tags=["groups"], summary="A group")
    def get(self, request: Request, group_id: int) -> Response:
        page = validated(PageInput, request.query_params)
        group, membership = _group_for(group_id, _me(request))
        count, members = selectors.members_page(group=group, offset=page["offset"], limit=page["limit"])
        body = _group_body(group, membership, count)
        body.update(
            offset=page["offset"],
            limit=page["limit"],
            members=[
                {"user": _person(m.user), "role": m.role, "joined_at": m.joined_at.isoformat().replace("+00:00", "Z")}
                for m in members
            ],
        )
        return Response(body)


class GroupMemberView(APIView):
    @extend_schema(
        responses={204: None, 409: OpenApiResponse(description="The owner cannot be removed.")},
        tags=["groups"],
        summary="Remove a member (owners and admins), or leave (yourself)",
    )
    def delete(self, request: Request, group_id: int, user_id: UUID) -> Response:
        group, _membership = _group_for(group_id, _me(request))
        member = User.objects.filter(uuid=user_id).first()
        if member is None:
            raise NotFoundError(_("Not a member of this group."))
        services.group_remove_member(user=_me(request), group=group, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=RoleInput,
        responses={200: GroupMemberSerializer, 403: OpenApiResponse(description="Only the owner sets roles.")},
        tags=["groups"],
        summary="Make a member an admin, or an admin a member again (the owner)",
    )
    def patch(self, request: Request, group_id: int, user_id: UUID) -> Response:
        params = validated(RoleInput, request.data)
        group, _ = _group_for(group_id, _me(request))
        member = User.objects.filter(uuid=user_id).first()
        if member is None:
            raise NotFoundError("Not a member of this group.")
        membership = services.group_set_role(user=_me(request), group=group, member=member, role=params["role"])
        joined = membership.joined_at.isoformat().replace("+00:00", "Z")
        return Response({"user": _person(member), "role": membership.role, "joined_at": joined})


class GroupCodeView(APIView):
    @extend_schema(request=None, responses={200: GroupSerializer}, tags=["groups"], summary="Rotate the invite code")
    def post(self, request: Request, group_id: int) -> Response:
        group, membership = _group_for(group_id, _me(request))
        services.group_rotate_code(user=_me(request), group=group)
        return Response(_group_body(group, membership, group.memberships.count()))


# --- Challenges --------------------------------------------------------------------


class ChallengeListView(APIView):
    @extend_schema(
        parameters=[ChallengeListInput],
        responses={200: ChallengeListSerializer},
        operation_id="challenges_list",
        tags=["challenges"],
        summary="Challenges you may see (open ones, your groups', yours), by state",
    )
    def get(self, request: Request) -> Response:
        params = validated(ChallengeListInput, request.query_params)
        now = timezone.now()
        state = State(params["state"]) if params.get("state") else None
        # Without a sweeper (the embedded default) the list is where states move on.
        services.finalise_due(now=now, limit=20, trigger="read")
        rows = selectors.challenges_in_state(
            user=_me(request), state=state, now=now, offset=params["offset"], limit=params["limit"]
        )
        return Response({"challenges": [challenge_body(c, viewer=_me(request), now=now) for c in rows]})

    @extend_schema(
        request=ChallengeInput,
        responses={201: ChallengeDetailSerializer},
        tags=["challenges"],
        summary="Start a challenge (you join it, except a team challenge: join with a team)",
        description=(
            "Refused with a 400, nothing stored: ends_on before starts_on, a period over "
            f"{MAX_PERIOD_DAYS} days, starting before your local today, daily_cap outside "
            f"{MIN_DAILY_CAP:,}-{MAX_DAILY_CAP:,}, a field the kind does not use. Someone else's private group: 404."
        ),
    )
    def post(self, request: Request) -> Response:
        data = validated(ChallengeInput, request.data)
        group = None
        if data.get("group") is not None:
            group, _membership = _group_for(data["group"], _me(request))
        opponent = None
        if data.get("opponent") is not None:
            opponent = User.objects.filter(uuid=data["opponent"], is_active=True).first()
            if opponent is None:
                raise NotFoundError(_("No such person."), fields={"opponent": [_("No such person.")]})
        now = timezone.now()
        spec = services.ChallengeInput(
            name=data["name"],
            kind=data["kind"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            group=group,
            daily_cap=data.get("daily_cap"),
            target=data.get("target"),
            team_scoring=data.get("team_scoring"),
            team_size_cap=data.get("team_size_cap"),
            opponent=opponent,
            grace_hours=data.get("grace_hours"),
        )
        challenge = services.challenge_create(user=_me(request), spec=spec, now=now)
        body = challenge_body(challenge, viewer=_me(request), now=now, teams=[])
        return Response(body, status=status.HTTP_201_CREATED)


class ChallengeDetailView(APIView):
    @extend_schema(responses={200: ChallengeDetailSerializer}, tags=["challenges"], summary="A challenge")
    def get(self, request: Request, challenge_id: int) -> Response:
        now = timezone.now()
        challenge = challenge_for(challenge_id, _me(request), now)
        teams = selectors.teams_of(challenge=challenge)
        return Response(challenge_body(challenge, viewer=_me(request), now=now, teams=teams))


class ChallengeJoinView(APIView):
    @extend_schema(
        request=JoinInput,
        responses={201: ChallengeEntrantSerializer, 409: OpenApiResponse(description=CONFLICT)},
        tags=["challenges"],
        summary="Join (a team challenge: with a team)",
        description=(
            "409: joined already, the challenge has ended or is final, a head-to-head's two places are taken, "
            "the team is full."
        ),
    )
    def post(self, request: Request, challenge_id: int) -> Response:
        data = validated(JoinInput, request.data)
        now = timezone.now()
        challenge = challenge_for(challenge_id, _me(request), now)
        team = None
        if data.get("team") is not None:
            team = Team.objects.filter(pk=data["team"], challenge=challenge).first()
            if team is None:
                raise NotFoundError(_("No such team in this challenge."), fields={"team": [_("No such team.")]})
        entry = services.challenge_join(user=_me(request), challenge=challenge, team=team, now=now)
        body = {"challenge": challenge.pk, "team": entry.team_id, "joined_at": entry.joined_at.isoformat()}
        return Response(body, status=status.HTTP_201_CREATED)


class ChallengeLeaveView(APIView):
    @extend_schema(
        request=None,
        responses={204: None, 409: OpenApiResponse(description="Not in it, or it has ended or is final.")},
        tags=["challenges"],
        summary="Leave",
    )
    def post(self, request: Request, challenge_id: int) -> Response:
        now = timezone.now()
        challenge = challenge_for(challenge_id, _me(request), now)
        services.challenge_leave(user=_me(request), challenge=challenge, now=now)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamListView(APIView):
    @extend_schema(
        responses={200: ChallengeTeamSerializer(many=True)}, tags=["challenges"], summary="A challenge's teams"
    )
    def get(self, request: Request, challenge_id: int) -> Response:
        challenge = challenge_for(challenge_id, _me(request), timezone.now())
        teams = selectors.teams_of(challenge=challenge)
        return Response([{"id": t.pk, "name": t.name, "size": getattr(t, "size", 0)} for t in teams])

    @extend_schema(
        request=TeamInput,
        responses={
            201: ChallengeTeamSerializer,
            409: OpenApiResponse(description="Not a team challenge, name taken, ended."),
        },
        tags=["challenges"],
        summary="Add a team (join it with POST …/join {team})",
    )
    def post(self, request: Request, challenge_id: int) -> Response:
        data = validated(TeamInput, request.data)
        now = timezone.now()
        challenge = challenge_for(challenge_id, _me(request), now)
        team = services.team_create(user=_me(request), challenge=challenge, name=data["name"], now=now)
        return Response({"id": team.pk, "name": team.name, "size": 0}, status=status.HTTP_201_CREATED)


class ChallengeBoardView(APIView):
    @extend_schema(
        parameters=[BoardInput],
        responses={200: ChallengeBoardSerializer},
        tags=["challenges"],
        summary="The board: provisional while running and in the grace window, frozen once final",
    )
    def get(self, request: Request, challenge_id: int) -> Response:
        params = validated(BoardInput, request.query_params)
        now = timezone.now()
        board = board_for(challenge_id, _me(request), now)
        challenge, scope = board.challenge, Scope(params["scope"])
        page = board_services.read_board(
            challenge=challenge, scope=scope, viewer=_me(request), offset=params["offset"], limit=params["limit"],
            my_team=board.my_team,
        )  # fmt: skip
        body = board_body(challenge, page, scope=scope, offset=params["offset"], limit=params["limit"], now=now)
        return Response(body)


class ChallengeResultsView(APIView):
    @extend_schema(
        parameters=[BoardInput],
        responses={200: ChallengeBoardSerializer, 409: OpenApiResponse(description="Not final yet (`not_final`).")},
        tags=["challenges"],
        summary="The final table (frozen: no later sync, correction or deletion changes it)",
    )
    def get(self, request: Request, challenge_id: int) -> Response:
        params = validated(BoardInput, request.query_params)
        now = timezone.now()
        challenge = challenge_for(challenge_id, _me(request), now)
        if challenge.finalised_at is None:
            raise services.NotFinalError(
                _("Not final yet: results freeze at %(when)s.")
                % {"when": challenge.grace_ends_at.isoformat().replace("+00:00", "Z")}
            )
        scope = Scope(params["scope"])
        page = selectors.board_page(
            challenge=challenge, scope=scope, viewer=_me(request), offset=params["offset"], limit=params["limit"]
        )
        body = board_body(challenge, page, scope=scope, offset=params["offset"], limit=params["limit"], now=now)
        return Response(body)
