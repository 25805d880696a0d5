"""GET /api/v1/steps/users: several people's steps for one day, each only if
the caller may see them."""

import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.models import Friendship, FriendshipStatus, Visibility
from pedometer_site.tests.testing import client_for, make_user
from steps.selectors import today_totals
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
URL = "/api/v1/steps/users"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def walked(user, steps: int, day: date = TODAY) -> None:
    record_steps(user=user, days=[DaySample(day, steps)], now=NOW)


def befriend(a, b, status=FriendshipStatus.ACCEPTED) -> None:
    Friendship.objects.create(from_user=a, to_user=b, status=status)


def visible_ids(viewer, *users, **query) -> list[str]:
    response = client_for(viewer).get(URL, {"ids": ",".join(str(u.uuid) for u in users), **query})
    assert response.status_code == 200, response.content
    return [entry["id"] for entry in response.json()["users"]]


@pytest.mark.django_db
def test_each_visible_user_is_listed_with_their_steps_in_the_order_asked():
    me = make_user(display_name="Me")
    runner = make_user(display_name="Runner", visibility=Visibility.PUBLIC, daily_goal=5000)
    walked(me, 1200)
    walked(runner, 8000)
    response = client_for(me).get(URL, {"ids": f"{runner.uuid},{me.uuid}"})
    assert response.json() == {
        "date": None,
        "users": [
            {
                "id": str(runner.uuid),
                "display_name": "Runner",
                "date": "2026-11-25",
                "steps": 8000,
                "goal_reached": True,
            },
            {"id": str(me.uuid), "display_name": "Me", "date": "2026-11-25", "steps": 1200, "goal_reached": False},
        ],
    }


@pytest.mark.django_db
def test_a_visible_user_without_steps_that_day_shows_zero():
    me, other = make_user(), make_user(visibility=Visibility.PUBLIC)
    walked(other, 500, day=date(2026, 11, 24))
    body = client_for(me).get(URL, {"ids": str(other.uuid)}).json()
    assert body["users"][0]["steps"] == 0
    body = client_for(me).get(URL, {"ids": str(other.uuid), "date": "2026-11-24"}).json()
    assert (body["date"], body["users"][0]["steps"]) == ("2026-11-24", 500)


@pytest.mark.django_db
def test_private_users_are_visible_only_to_themselves():
    me, private = make_user(), make_user(visibility=Visibility.PRIVATE)
    befriend(me, private)
    assert visible_ids(me, private) == []
    assert visible_ids(private, private) == [str(private.uuid)]


@pytest.mark.django_db
def test_friends_only_users_are_visible_to_accepted_friends_in_either_direction():
    me, sender, receiver, stranger = make_user(), *(make_user(visibility=Visibility.FRIENDS) for _ in range(3))
    befriend(sender, me)
    befriend(me, receiver)
    assert visible_ids(me, sender, receiver, stranger) == [str(sender.uuid), str(receiver.uuid)]


@pytest.mark.django_db
def test_a_pending_friend_request_shows_nothing():
    me, asked = make_user(), make_user(visibility=Visibility.FRIENDS)
    befriend(me, asked, status=FriendshipStatus.PENDING)
    assert visible_ids(me, asked) == []


@pytest.mark.django_db
def test_unknown_ids_and_deactivated_users_are_simply_absent():
    me, gone = make_user(), make_user(visibility=Visibility.PUBLIC, is_active=False)
    response = client_for(me).get(URL, {"ids": f"{uuid.uuid4()},{gone.uuid},{me.uuid},{me.uuid}"})
    assert [entry["id"] for entry in response.json()["users"]] == [str(me.uuid)]


@pytest.mark.django_db
def test_at_most_a_hundred_ids():
    me = make_user()
    hundred = ",".join(str(uuid.uuid4()) for _ in range(100))
    assert client_for(me).get(URL, {"ids": hundred}).status_code == 200
    response = client_for(me).get(URL, {"ids": f"{hundred},{uuid.uuid4()}"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"ids": ["At most 100 ids at a time."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"ids": "not-a-uuid"}, "ids"),
        ({"ids": "42"}, "ids"),
        ({}, "ids"),
        ({"ids": str(uuid.UUID(int=1)), "date": "today"}, "date"),
        ({"ids": str(uuid.UUID(int=1)), "day": "2026-11-25"}, "day"),
    ],
)
def test_bad_queries_are_refused(query, field):
    response = client_for(make_user()).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_without_a_date_each_user_is_answered_for_their_own_today_as_the_live_feed_shows_it():
    # 15:00 UTC: already the 26th in Seoul, still the 25th in New York.
    viewer = make_user(timezone="Asia/Seoul")
    walker = make_user(timezone="America/New_York", visibility=Visibility.PUBLIC)
    walked(walker, 4321)  # the 25th, the walker's today
    entry = client_for(viewer).get(URL, {"ids": str(walker.uuid)}).json()["users"][0]
    assert (entry["date"], entry["steps"]) == ("2026-11-25", 4321)
    assert today_totals(users=[walker], now=NOW) == [{"user": str(walker.uuid), "date": "2026-11-25", "steps": 4321}]
