"""/api/v1/friends/: requests by id or email, accept, decline, cancel, remove, lists."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.friends_services import friend_request_send
from accounts.models import Friendship, FriendshipStatus, Visibility
from accounts.selectors import can_see, friend_ids
from pedometer_site.tests.testing import client_for, make_user

REQUESTS = "/api/v1/friends/requests"


def ask(asker, other, **body):
    return client_for(asker).post(REQUESTS, body or {"user_id": str(other.uuid)}, format="json")


def friend_names(user) -> list[str]:
    return [f["user"]["display_name"] for f in client_for(user).get("/api/v1/friends/").json()["friends"]]


@pytest.mark.django_db
def test_request_by_id_waits_for_an_answer():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    response = ask(ann, bo)
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["user"] == {"id": str(bo.uuid), "display_name": "Bo"}
    assert friend_names(ann) == [] and friend_names(bo) == []


@pytest.mark.django_db
def test_request_by_email_ignores_case():
    ann, bo = make_user(), make_user(email="bo@example.com")
    response = ask(ann, bo, email="Bo@Example.com")
    assert response.status_code == 201
    assert Friendship.objects.get().to_user == bo


@pytest.mark.django_db
def test_pending_requests_are_listed_both_ways():
    ann, bo, cy = make_user(display_name="Ann"), make_user(display_name="Bo"), make_user(display_name="Cy")
    ask(ann, bo)
    ask(cy, ann)
    body = client_for(ann).get(REQUESTS).json()
    assert [r["user"]["display_name"] for r in body["outgoing"]] == ["Bo"]
    assert [r["user"]["display_name"] for r in body["incoming"]] == ["Cy"]
    assert client_for(bo).get(REQUESTS).json()["incoming"][0]["user"]["id"] == str(ann.uuid)


@pytest.mark.django_db
def test_accepting_makes_friends_on_both_sides():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    ask(ann, bo)
    response = client_for(bo).post(f"{REQUESTS}/{ann.uuid}/accept")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert friend_names(ann) == ["Bo"] and friend_names(bo) == ["Ann"]
    assert client_for(bo).get(REQUESTS).json() == {"incoming": [], "outgoing": []}


@pytest.mark.django_db
def test_only_the_person_asked_can_accept():
    ann, bo, cy = make_user(), make_user(), make_user()
    ask(ann, bo)
    assert client_for(cy).post(f"{REQUESTS}/{ann.uuid}/accept").status_code == 404
    assert client_for(ann).post(f"{REQUESTS}/{bo.uuid}/accept").status_code == 404  # your own request
    assert Friendship.objects.get().status == FriendshipStatus.PENDING


@pytest.mark.django_db
def test_declining_removes_the_request_and_allows_a_new_one():
    ann, bo = make_user(), make_user()
    ask(ann, bo)
    assert client_for(bo).post(f"{REQUESTS}/{ann.uuid}/decline").status_code == 204
    assert not Friendship.objects.exists()
    assert ask(ann, bo).status_code == 201


@pytest.mark.django_db
def test_cancelling_withdraws_your_request():
    ann, bo = make_user(), make_user()
    ask(ann, bo)
    assert client_for(bo).delete(f"{REQUESTS}/{ann.uuid}").status_code == 404  # not theirs to cancel
    assert client_for(ann).delete(f"{REQUESTS}/{bo.uuid}").status_code == 204
    assert client_for(bo).get(REQUESTS).json()["incoming"] == []


@pytest.mark.django_db
def test_removing_a_friend_works_from_either_side():
    ann, bo = make_user(), make_user()
    ask(ann, bo)
    client_for(bo).post(f"{REQUESTS}/{ann.uuid}/accept")
    assert client_for(bo).delete(f"/api/v1/friends/{ann.uuid}").status_code == 204
    assert friend_names(ann) == []
    assert client_for(bo).delete(f"/api/v1/friends/{ann.uuid}").status_code == 404


@pytest.mark.django_db
def test_asking_someone_who_already_asked_you_makes_you_friends():
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    ask(ann, bo)
    response = ask(bo, ann)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Friendship.objects.count() == 1
    assert friend_names(ann) == ["Bo"]


@pytest.mark.django_db
def test_asking_twice_or_asking_a_friend_is_a_conflict():
    ann, bo = make_user(), make_user()
    ask(ann, bo)
    again = ask(ann, bo)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_requested"
    ask(bo, ann)
    assert ask(ann, bo).json()["error"]["code"] == "already_friends"
    assert Friendship.objects.count() == 1


@pytest.mark.django_db
def test_asking_yourself_is_refused():
    ann = make_user()
    response = ask(ann, ann)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "self_request"
    assert not Friendship.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user_id": "00000000-0000-0000-0000-000000000000", "email": "x@example.com"},
        {"user_id": "not-a-uuid"},
        {"email": "nobody"},
        {"user_id": "00000000-0000-0000-0000-000000000000", "note": "hi"},
    ],
)
def test_a_request_needs_exactly_one_valid_id_or_email(body):
    response = client_for(make_user()).post(REQUESTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_asking_someone_unknown_is_not_found():
    ann = make_user()
    assert ask(ann, None, email="ghost@example.com").status_code == 404
    assert ask(ann, None, user_id="00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.django_db
def test_asking_beyond_the_hourly_rate_is_throttled_but_the_lists_still_answer(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "friend_request_user": "3/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ann = make_user()
    answers = [ask(ann, None, email=f"probe{n}@example.com").status_code for n in range(3)]
    assert answers == [404, 404, 404]
    refused = ask(ann, make_user())
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 60  # an hourly rate: the wait is in minutes
    assert client_for(ann).get(REQUESTS).status_code == 200
    assert ask(make_user(), make_user()).status_code == 201  # others ask on their own count


@pytest.mark.django_db
def test_friends_need_sign_in(api):
    assert api.get("/api/v1/friends/").status_code == 401
    assert api.post(REQUESTS, {}, format="json").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_people_asking_each_other_at_once_become_friends_once():
    ann, bo = make_user(), make_user()
    barrier = threading.Barrier(2)
    errors = []

    def send(asker, other):
        try:
            barrier.wait()
            friend_request_send(user=asker, to_user_id=other.uuid, now=timezone.now())
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in ((ann, bo), (bo, ann))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (row,) = Friendship.objects.all()
    assert row.status == FriendshipStatus.ACCEPTED


@pytest.mark.django_db
def test_friend_ids_are_accepted_friends_in_either_direction():
    me, pal, fan, asked = make_user(), make_user(), make_user(), make_user()
    ask(me, pal)
    client_for(pal).post(f"{REQUESTS}/{me.uuid}/accept")
    ask(fan, me)
    client_for(me).post(f"{REQUESTS}/{fan.uuid}/accept")
    ask(me, asked)
    assert friend_ids(me) == {pal.pk, fan.pk}
    assert friend_ids(asked) == set()


@pytest.mark.django_db
def test_can_see_follows_each_visibility():
    viewer, friend, stranger = make_user(), make_user(), make_user()
    ask(viewer, friend)
    client_for(friend).post(f"{REQUESTS}/{viewer.uuid}/accept")
    for owner_visibility, friend_sees, stranger_sees, anonymous_sees in [
        (Visibility.PUBLIC, True, True, True),
        (Visibility.FRIENDS, True, False, False),
        (Visibility.PRIVATE, False, False, False),
    ]:
        viewer.visibility = owner_visibility
        assert can_see(viewer, viewer)  # always yourself
        assert can_see(friend, viewer) is friend_sees
        assert can_see(stranger, viewer) is stranger_sees
        assert can_see(None, viewer) is anonymous_sees
