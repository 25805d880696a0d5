"""Who may do what, as one table per endpoint and socket.

Callers: anonymous, the owner, an accepted friend, a stranger, a staff user
(staff get no extra powers in the API, only the admin) and a deactivated user
(whose still-unexpired token must stop working). Owners: a private, a
friends-only and a public walker, each with steps today and a device.
"""

import itertools
import json
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.models import Device, Friendship, FriendshipStatus, User, Visibility
from accounts.services import tokens_for
from pedometer_site.tests.testing import bearer_client, make_user, websocket
from rankings.periods import BoardKey
from rankings.rebuild import rebuild_board
from steps.local_days import local_today
from steps.services import DaySample, record_steps

CALLERS = ("anonymous", "owner", "friend", "stranger", "staff", "deactivated")
VISIBILITIES = (Visibility.PRIVATE, Visibility.FRIENDS, Visibility.PUBLIC)
OWNER_STEPS = {Visibility.PRIVATE: 1111, Visibility.FRIENDS: 2222, Visibility.PUBLIC: 3333}

# Reading another's steps (GET steps/users?ids=, /ws/live/?users=): "seen",
# "absent" (the answer or subscription leaves them out) or "401"/"4401".
SEES = {
    # caller:       private   friends   public
    "anonymous": ("401", "401", "401"),
    "owner": ("seen", "seen", "seen"),
    "friend": ("absent", "seen", "seen"),
    "stranger": ("absent", "absent", "seen"),
    "staff": ("absent", "absent", "seen"),
    "deactivated": ("401", "401", "401"),
}

# Deleting the owner's device: the HTTP status, and whether it is gone after.
DELETE_DEVICE = {
    "anonymous": (401, False),
    "owner": (204, True),
    "friend": (404, False),  # 404, not 403: another's device id names nothing for you
    "stranger": (404, False),
    "staff": (404, False),
    "deactivated": (401, False),
}

# The admin's index page: 200 for staff; everyone else is sent to its login.
ADMIN_INDEX = {
    "anonymous": 302,
    "owner": 302,
    "friend": 302,
    "stranger": 302,
    "staff": 200,
    "deactivated": 302,  # a deactivated staff account
}


@dataclass
class World:
    owners: dict[str, User]
    devices: dict[str, Device]
    callers: dict[str, User | None]
    tokens: dict[str, str | None]


def build_world() -> World:
    now = timezone.now()
    owners, devices = {}, {}
    friend = make_user()
    for visibility in VISIBILITIES:
        owner = make_user(visibility=visibility)
        record_steps(user=owner, days=[DaySample(local_today(owner, now), OWNER_STEPS[visibility])], now=now)
        devices[visibility] = Device.objects.create(user=owner, token=f"fcm-{owner.uuid}", platform="android")
        Friendship.objects.create(from_user=owner, to_user=friend, status=FriendshipStatus.ACCEPTED)
        owners[visibility] = owner
    stranger = make_user()
    staff = make_user(is_staff=True, is_superuser=True)
    deactivated = make_user(is_staff=True)
    for owner in owners.values():
        Friendship.objects.create(from_user=deactivated, to_user=owner, status=FriendshipStatus.ACCEPTED)
    callers = {"anonymous": None, "friend": friend, "stranger": stranger, "staff": staff, "deactivated": deactivated}
    tokens = {name: tokens_for(user).access if user else None for name, user in callers.items()}
    deactivated.is_active = False  # after its token was issued: the token must stop working
    deactivated.save(update_fields=["is_active"])
    return World(owners, devices, callers, tokens)


def caller_for(world: World, caller: str, visibility: str) -> tuple[User | None, str | None]:
    if caller == "owner":
        owner = world.owners[visibility]
        return owner, tokens_for(owner).access
    return world.callers[caller], world.tokens[caller]


def api_client(token: str | None):
    return bearer_client(token) if token else Client()


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_reading_someones_steps_follows_their_visibility(caller):
    world = build_world()
    for visibility, expected in zip(VISIBILITIES, SEES[caller], strict=True):
        owner = world.owners[visibility]
        _, token = caller_for(world, caller, visibility)
        response = api_client(token).get("/api/v1/steps/users", {"ids": str(owner.uuid)})
        if expected == "401":
            assert response.status_code == 401, (caller, visibility)
            assert str(OWNER_STEPS[visibility]) not in response.content.decode()
            continue
        assert response.status_code == 200, (caller, visibility)
        seen = {entry["id"]: entry["steps"] for entry in response.json()["users"]}
        if expected == "seen":
            assert seen == {str(owner.uuid): OWNER_STEPS[visibility]}, (caller, visibility)
        else:
            assert seen == {}, (caller, visibility)


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", ["/api/v1/steps/summary", "/api/v1/steps/days", "/api/v1/steps/hours"])
def test_summaries_and_histories_are_only_ever_the_callers_own(caller, path):
    world = build_world()
    for visibility in VISIBILITIES:
        owner = world.owners[visibility]
        _, token = caller_for(world, caller, visibility)
        # No parameter names another person: one tried is refused or ignored, never answered for them.
        response = api_client(token).get(path, {"user": str(owner.uuid)})
        if caller in {"anonymous", "deactivated"}:
            assert response.status_code == 401, (caller, visibility)
        else:
            assert response.status_code in {200, 400}, (caller, visibility)
        if caller != "owner":
            assert str(OWNER_STEPS[visibility]) not in response.content.decode(), (caller, visibility)
        elif path.endswith("summary"):  # the table cannot pass by showing nobody anything
            assert str(OWNER_STEPS[visibility]) in response.content.decode()


async def live_outcome(token: str | None, owner: User) -> str:
    socket = websocket(f"/ws/live/?users={owner.uuid}", token=token)
    connected, close_code = await socket.connect()
    try:
        if not connected:
            return str(close_code)
        first = await socket.receive_output(timeout=3)
        if first["type"] == "websocket.close":
            return str(first["code"])
        message = await socket.receive_json_from(timeout=3)  # the snapshot follows "subscribed"
        subscribed = json.loads(first["text"])
        if str(owner.uuid) in subscribed["users"]:
            assert message["totals"], message
            return "seen"
        assert str(owner.uuid) in subscribed["refused"]
        assert str(OWNER_STEPS[owner.visibility]) not in json.dumps(message)
        return "absent"
    finally:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("caller", CALLERS)
def test_live_feeds_follow_the_same_visibility(caller):
    world = build_world()
    expected = tuple("4401" if outcome == "401" else outcome for outcome in SEES[caller])
    got = []
    for visibility in VISIBILITIES:
        _, token = caller_for(world, caller, visibility)
        if caller == "anonymous":
            token = None
        got.append(async_to_sync(live_outcome)(token, world.owners[visibility]))
    assert tuple(got) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_only_the_owner_deletes_their_device(caller):
    world = build_world()
    for visibility in VISIBILITIES:
        device = world.devices[visibility]
        _, token = caller_for(world, caller, visibility)
        response = api_client(token).delete(f"/api/v1/devices/{device.uuid}")
        status, gone = DELETE_DEVICE[caller]
        assert response.status_code == status, (caller, visibility)
        assert Device.objects.filter(pk=device.pk).exists() is not gone


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_account_changes_only_ever_reach_the_callers_own_account(caller):
    world = build_world()
    owner = world.owners[Visibility.PUBLIC]
    user, token = caller_for(world, caller, Visibility.PUBLIC)
    before = owner.display_name
    response = api_client(token).patch("/api/v1/me", {"display_name": "Renamed"}, content_type="application/json")
    if caller in {"anonymous", "deactivated"}:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.display_name == "Renamed"
    owner.refresh_from_db()
    assert owner.display_name == (before if caller != "owner" else "Renamed")
    # And no URL names another account to change or delete.
    for method in ("patch", "delete"):
        other = getattr(api_client(token), method)(f"/api/v1/users/{owner.uuid}")
        assert other.status_code in {401, 404}
    assert User.objects.filter(pk=owner.pk, is_active=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_admin_pages_are_for_active_staff_only(caller):
    world = build_world()
    user, _ = caller_for(world, caller, Visibility.PUBLIC)
    browser = Client()
    if user is not None:
        browser.force_login(user)  # a session, even for the deactivated account
    response = browser.get("/admin/")
    assert response.status_code == ADMIN_INDEX[caller], caller
    users_page = browser.get("/admin/accounts/user/")
    assert (users_page.status_code == 200) is (caller == "staff"), caller


# --- Friendships (accounts/friends_api.py) ------------------------------------

# Acting on someone else's friendship: the addressee accepting a request, or a
# party removing a friendship, is "owner"; everyone else finds nothing to act on.
FRIENDSHIP_ACTS = {
    "anonymous": 401,
    "owner": "done",
    "friend": 404,
    "stranger": 404,
    "staff": 404,
    "deactivated": 401,
}


def friendship_world():
    world = build_world()
    asker, addressee, partner = make_user(), make_user(), make_user()
    Friendship.objects.create(from_user=asker, to_user=addressee, status=FriendshipStatus.PENDING)
    Friendship.objects.create(from_user=addressee, to_user=partner, status=FriendshipStatus.ACCEPTED)
    # The matrix's friend is a friend of both the addressee and the partner.
    for user in (addressee, partner):
        Friendship.objects.create(from_user=world.callers["friend"], to_user=user, status=FriendshipStatus.ACCEPTED)
    return world, asker, addressee, partner


def friendship_token(world, caller, owner):
    if caller == "owner":
        return tokens_for(owner).access
    return world.tokens[caller]


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_only_the_addressee_accepts_or_declines_a_friend_request(caller):
    world, asker, addressee, _ = friendship_world()
    client = api_client(friendship_token(world, caller, addressee))
    pending = Friendship.objects.filter(from_user=asker, to_user=addressee, status=FriendshipStatus.PENDING)
    for action in ("accept", "decline"):
        response = client.post(f"/api/v1/friends/requests/{asker.uuid}/{action}")
        expected = FRIENDSHIP_ACTS[caller]
        if expected == "done":
            assert response.status_code in {200, 204, 404}, (caller, action)  # decline after accept finds none
        else:
            assert response.status_code == expected, (caller, action)
            assert pending.exists(), (caller, action)
    if FRIENDSHIP_ACTS[caller] == "done":
        assert Friendship.objects.filter(from_user=asker, to_user=addressee, status=FriendshipStatus.ACCEPTED).exists()
    # Nor can anyone but the asker withdraw it (DELETE names the addressee; a caller has no request to them).
    if caller != "owner":
        assert api_client(world.tokens.get(caller)).delete(
            f"/api/v1/friends/requests/{addressee.uuid}"
        ).status_code in {
            401,
            404,
        }
        assert pending.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_only_a_party_removes_a_friendship(caller):
    world, _, addressee, partner = friendship_world()
    response = api_client(friendship_token(world, caller, addressee)).delete(f"/api/v1/friends/{partner.uuid}")
    still = Friendship.objects.filter(from_user=addressee, to_user=partner).exists()
    if FRIENDSHIP_ACTS[caller] == "done":
        assert response.status_code == 204
        assert not still
    else:
        # The friend has a friendship of their own with the partner: removing it
        # is theirs to do, and it never touches the addressee's.
        assert response.status_code in ({204} if caller == "friend" else {FRIENDSHIP_ACTS[caller]}), caller
        assert still, caller


# --- Leaderboards (GET /api/v1/rankings/<period>) ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_leaderboards_show_others_by_the_same_visibility(caller):
    world = build_world()
    today = local_today(world.owners[Visibility.PUBLIC], timezone.now())
    rebuild_board(board=BoardKey.of("day", today))
    for visibility, expected in zip(VISIBILITIES, SEES[caller], strict=True):
        owner = world.owners[visibility]
        _, token = caller_for(world, caller, visibility)
        response = api_client(token).get("/api/v1/rankings/day", {"date": today.isoformat()})
        if expected == "401":
            assert response.status_code == 401, (caller, visibility)
            continue
        assert response.status_code == 200, (caller, visibility, response.content)
        listed = {entry["user"] for entry in response.json()["entries"]}
        if caller == "owner":  # their own standing is always theirs to see, in "me"
            assert response.json()["me"], visibility
            continue
        assert (str(owner.uuid) in listed) is (expected == "seen"), (caller, visibility)


# --- The leaderboard page's socket (/ws/rankings/<period>/) ---------------------------

# Its snapshot is the board as the caller sees it (the API's rules; signed-out
# visitors may watch and see public walkers). Its live rows are public walkers
# only, for everyone: the feed is shared by every watcher of the board.
BOARD_SNAPSHOT = {**SEES, "anonymous": ("absent", "absent", "seen"), "deactivated": ("4401",) * 3}
WALKS = itertools.count(1)


async def board_socket_outcome(token: str | None, world: World) -> tuple[tuple[str, ...], set[str]]:
    """What one caller's board socket shows of each owner in its snapshot, and
    whose rows reach it live when all three owners walk on."""
    socket = websocket("/ws/rankings/day/", token=token)
    connected, close_code = await socket.connect()
    if not connected:
        return (str(close_code),) * len(VISIBILITIES), set()
    try:
        first = await socket.receive_output(timeout=5)
        if first["type"] == "websocket.close":
            return (str(first["code"]),) * len(VISIBILITIES), set()
        snapshot = json.loads(first["text"])
        listed = {row["user"] for row in snapshot["rows"]}
        outcomes = tuple("seen" if str(world.owners[v].uuid) in listed else "absent" for v in VISIBILITIES)

        def walk_on() -> None:
            more = 1000 * next(WALKS)  # each socket sees new totals
            for visibility, owner in world.owners.items():
                day = local_today(owner, timezone.now())
                record_steps(user=owner, days=[DaySample(day, OWNER_STEPS[visibility] + more)], now=timezone.now())

        await database_sync_to_async(walk_on)()
        public = str(world.owners[Visibility.PUBLIC].uuid)
        live: set[str] = set()
        while public not in live:  # the public walker's row comes; the others' must not come with it
            message = await socket.receive_json_from(timeout=5)
            live |= {row["user"] for row in message["rows"]}
        while not await socket.receive_nothing(timeout=0.6):  # nor in a later window
            live |= {row["user"] for row in (await socket.receive_json_from())["rows"]}
        return outcomes, live
    finally:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("caller", CALLERS)
def test_the_board_socket_shows_others_by_the_same_visibility_and_streams_public_walkers_only(caller):
    world = build_world()
    snapshots, live_rows = [], set()
    for visibility in VISIBILITIES if caller == "owner" else VISIBILITIES[:1]:
        _, token = caller_for(world, caller, visibility)
        outcomes, live = async_to_sync(board_socket_outcome)(token, world)
        # An owner's own socket shows them; the other owners are checked by the other callers.
        snapshots.append(outcomes[VISIBILITIES.index(visibility)] if caller == "owner" else outcomes)
        live_rows |= live
    expected = BOARD_SNAPSHOT[caller]
    assert (tuple(snapshots) if caller == "owner" else snapshots[0]) == expected
    if expected[0] != "4401":
        assert live_rows == {str(world.owners[Visibility.PUBLIC].uuid)}
