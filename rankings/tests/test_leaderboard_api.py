"""GET /api/v1/rankings/<period>: periods, scopes, ties, visibility, paging.

Every behaviour is checked on both paths: the Redis index (boards rebuilt
from MySQL first) and the SQL fallback (Redis pointed at a closed port).
"""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from accounts.models import Visibility
from pedometer_site.tests.testing import client_for, make_user
from rankings.api import SOURCE_HEADER
from rankings.periods import BoardKey

from .boards import REF, TODAY, ask, at, befriend, closed_port_url, rebuilt, walk


@pytest.fixture(params=["index", "sql"])
def board(request, settings):
    """GET a board through the API from one path, and check that path answered."""
    source = request.param

    def get(viewer, period="day", day=REF, **params):
        if source == "index":
            rebuilt(period, day)
        else:
            settings.REDIS_URL = closed_port_url()
        response = client_for(viewer).get(f"/api/v1/rankings/{period}", {"date": day.isoformat(), **params})
        assert response.status_code == 200, response.json()
        assert response[SOURCE_HEADER] == source
        return response.json()

    return get


def names(body) -> list[tuple[int, str, int]]:
    return [(e["rank"], e["display_name"], e["steps"]) for e in body["entries"]]


@pytest.mark.django_db
def test_day_board_ranks_by_steps_and_ties_share_a_rank(board):
    ann, bo, cy, di = (make_user(display_name=n) for n in ("Ann", "Bo", "Cy", "Di"))
    walk(ann, 9000, at=at(1))
    walk(cy, 7000, at=at(5))
    walk(bo, 7000, at=at(2))  # reached 7,000 before Cy did
    walk(di, 3000, at=at(3))
    body = board(ann)
    assert names(body) == [(1, "Ann", 9000), (2, "Bo", 7000), (2, "Cy", 7000), (4, "Di", 3000)]
    assert body["period"] == "day" and body["key"] == REF.isoformat()
    assert body["entries"][0]["user"] == str(ann.uuid)


@pytest.mark.django_db
def test_tie_goes_to_whoever_reached_the_count_first_even_if_they_synced_later(board):
    early, late = make_user(display_name="Early"), make_user(display_name="Late")
    walk(late, 5000, at=at(10))
    walk(early, 4000, at=at(1))
    walk(early, 5000, at=at(5))  # reaches 5,000 before Late's sync at +10 s
    assert names(board(early)) == [(1, "Early", 5000), (1, "Late", 5000)]


@pytest.mark.django_db
def test_week_sums_monday_to_sunday(board):
    week = BoardKey.of("week", REF)
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 4000, week.start)
    walk(ann, 4000, week.end)
    walk(ann, 9999, week.start - timedelta(days=1))  # the Sunday before: another week
    walk(bo, 7000, week.start + timedelta(days=3))
    body = board(ann, "week", REF)
    assert names(body) == [(1, "Ann", 8000), (2, "Bo", 7000)]
    year, number, _ = REF.isocalendar()
    assert body["key"] == f"{year}-W{number:02d}"
    assert (body["start"], body["end"]) == (week.start.isoformat(), week.end.isoformat())


@pytest.mark.django_db
def test_month_sums_the_calendar_month(board):
    first = REF.replace(day=1)
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 5000, REF)
    walk(ann, 9000, first - timedelta(days=1))  # last month
    walk(bo, 3000, first)
    walk(bo, 3000, first + timedelta(days=1))
    body = board(ann, "month", REF)
    assert names(body) == [(1, "Bo", 6000), (2, "Ann", 5000)]
    assert body["key"] == REF.strftime("%Y-%m")


@pytest.mark.django_db
def test_rolling7_sums_the_seven_days_ending_on_the_date(board):
    ann, bo = make_user(display_name="Ann"), make_user(display_name="Bo")
    walk(ann, 1000, REF)
    walk(ann, 1000, REF - timedelta(days=6))
    walk(ann, 5000, REF - timedelta(days=7))  # one day too early
    walk(bo, 1500, REF - timedelta(days=3))
    walk(bo, 9000, REF + timedelta(days=1))  # after the end
    body = board(ann, "rolling7", REF)
    assert names(body) == [(1, "Ann", 2000), (2, "Bo", 1500)]
    assert (body["start"], body["end"]) == ((REF - timedelta(days=6)).isoformat(), REF.isoformat())


@pytest.mark.django_db
def test_a_day_counts_on_the_users_own_local_date(board):
    # Kiritimati (UTC+14) and Honolulu (UTC-10) are a whole day apart at any moment;
    # each walker's steps count on the board of their own calendar date.
    kiri = make_user(display_name="Kiri", timezone="Pacific/Kiritimati")
    hono = make_user(display_name="Hono", timezone="Pacific/Honolulu")
    walk(kiri, 4000, REF)
    walk(hono, 6000, REF)
    walk(hono, 8000, REF - timedelta(days=1))
    assert names(board(kiri, "day", REF)) == [(1, "Hono", 6000), (2, "Kiri", 4000)]


@pytest.mark.django_db
def test_friends_scope_is_you_and_your_accepted_friends(board):
    me, pal, asked, stranger = (make_user(display_name=n) for n in ("Me", "Pal", "Asked", "Stranger"))
    befriend(me, pal)
    ask(me, asked)  # pending: not a friend yet
    for user, steps in ((me, 5000), (pal, 6000), (asked, 7000), (stranger, 8000)):
        walk(user, steps)
    body = board(me, scope="friends")
    assert names(body) == [(1, "Pal", 6000), (2, "Me", 5000)]
    assert body["me"] == {"rank": 2, "steps": 5000, "steps_to_pass": 1001}
    assert body["scope"] == "friends"


@pytest.mark.django_db
def test_private_users_appear_to_no_one_else_but_see_their_own_rank(board):
    viewer = make_user(display_name="Viewer")
    hermit = make_user(display_name="Hermit", visibility=Visibility.PRIVATE)
    befriend(viewer, hermit)  # not even to friends
    walk(hermit, 9000)
    walk(viewer, 4000)
    assert names(board(viewer)) == [(1, "Viewer", 4000)]
    assert names(board(viewer, scope="friends")) == [(1, "Viewer", 4000)]
    own = board(hermit)
    assert names(own) == [(1, "Hermit", 9000), (2, "Viewer", 4000)]
    assert own["me"] == {"rank": 1, "steps": 9000, "steps_to_pass": None}


@pytest.mark.django_db
def test_friends_only_users_appear_to_their_friends_only(board):
    shy = make_user(display_name="Shy", visibility=Visibility.FRIENDS)
    pal, stranger = make_user(display_name="Pal"), make_user(display_name="Stranger")
    befriend(shy, pal)
    walk(shy, 8000)
    walk(pal, 5000)
    walk(stranger, 6000)
    assert names(board(pal)) == [(1, "Shy", 8000), (2, "Stranger", 6000), (3, "Pal", 5000)]
    assert names(board(stranger)) == [(1, "Stranger", 6000), (2, "Pal", 5000)]
    assert names(board(pal, scope="friends")) == [(1, "Shy", 8000), (2, "Pal", 5000)]


@pytest.mark.django_db
def test_hidden_users_do_not_shift_anyones_rank(board):
    viewer = make_user(display_name="Viewer")
    for n in range(2):
        walk(make_user(display_name=f"Hidden {n}", visibility=Visibility.PRIVATE), 9000 + n)
    walk(viewer, 5000)
    body = board(viewer)
    assert names(body) == [(1, "Viewer", 5000)]
    assert body["me"]["rank"] == 1


@pytest.mark.django_db
def test_me_says_how_many_steps_pass_the_person_above(board):
    top, tied, me = make_user(display_name="Top"), make_user(display_name="Tied"), make_user(display_name="Me")
    walk(top, 9000, at=at(1))
    walk(tied, 6000, at=at(2))
    walk(me, 6000, at=at(3))
    assert board(me)["me"] == {"rank": 2, "steps": 6000, "steps_to_pass": 1}
    assert board(top)["me"] == {"rank": 1, "steps": 9000, "steps_to_pass": None}
    assert board(tied)["me"] == {"rank": 2, "steps": 6000, "steps_to_pass": 3001}


@pytest.mark.django_db
def test_me_without_steps_has_no_rank(board):
    idle, walker = make_user(), make_user()
    walk(walker, 100)
    assert board(idle)["me"] == {"rank": None, "steps": 0, "steps_to_pass": None}


@pytest.mark.django_db
def test_pages_continue_the_ranks(board):
    users = [make_user(display_name=f"W{n}") for n in range(6)]
    for n, (user, steps) in enumerate(zip(users, [600, 500, 500, 500, 200, 100], strict=True)):
        walk(user, steps, at=at(n))
    body = board(users[0], limit=2, offset=2)
    assert names(body) == [(2, "W2", 500), (2, "W3", 500)]
    assert (body["limit"], body["offset"]) == (2, 2)
    assert names(board(users[0], limit=3, offset=4)) == [(5, "W4", 200), (6, "W5", 100)]


@pytest.mark.django_db
def test_pages_merge_friends_only_friends_into_their_place(board):
    viewer = make_user(display_name="Viewer")
    shy = make_user(display_name="Shy", visibility=Visibility.FRIENDS)
    befriend(viewer, shy)
    for n, steps in enumerate([900, 700, 500, 300]):
        walk(make_user(display_name=f"P{n}"), steps, at=at(n))
    walk(shy, 600, at=at(10))
    walk(viewer, 200, at=at(11))
    assert names(board(viewer, limit=3, offset=1)) == [(2, "P1", 700), (3, "Shy", 600), (4, "P2", 500)]
    assert names(board(viewer, limit=2, offset=4)) == [(5, "P3", 300), (6, "Viewer", 200)]


@pytest.mark.django_db
def test_date_defaults_to_the_viewers_local_today():
    tokyo, london = make_user(timezone="Asia/Tokyo"), make_user(timezone="Europe/London")
    with time_machine.travel(datetime.combine(TODAY, time(20), tzinfo=UTC)):  # 05:00 tomorrow in Tokyo
        assert client_for(tokyo).get("/api/v1/rankings/day").json()["key"] == (TODAY + timedelta(days=1)).isoformat()
        assert client_for(london).get("/api/v1/rankings/day").json()["key"] == TODAY.isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/rankings/year", "period"),
        ("/api/v1/rankings/day?date=2026-02-30", "date"),
        ("/api/v1/rankings/day?date=1999-12-31", "date"),
        ("/api/v1/rankings/day?scope=everyone", "scope"),
        ("/api/v1/rankings/day?limit=201", "limit"),
        ("/api/v1/rankings/day?limit=0", "limit"),
        ("/api/v1/rankings/day?offset=-1", "offset"),
        ("/api/v1/rankings/day?colour=blue", "colour"),
    ],
)
def test_bad_parameters_are_refused_with_the_error_shape(path, field):
    response = client_for(make_user()).get(path)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_boards_need_sign_in(api):
    assert api.get("/api/v1/rankings/day").status_code == 401


@pytest.mark.django_db
def test_the_schema_documents_the_rankings_and_friends_endpoints(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    board = paths["/api/v1/rankings/{period}"]["get"]
    period = next(p for p in board["parameters"] if p["name"] == "period")
    assert set(period["schema"]["enum"]) == {"day", "week", "month", "rolling7"}
    assert {p["name"] for p in board["parameters"]} == {"period", "date", "scope", "limit", "offset", "q"}
    assert set(board["responses"]) >= {"200", "400", "401"}
    assert {path: set(item) for path, item in paths.items() if "/friends" in path} == {
        "/api/v1/friends/": {"get"},
        "/api/v1/friends/{user_id}": {"delete"},
        "/api/v1/friends/requests": {"get", "post"},
        "/api/v1/friends/requests/{user_id}": {"delete"},
        "/api/v1/friends/requests/{user_id}/accept": {"post"},
        "/api/v1/friends/requests/{user_id}/decline": {"post"},
    }
    assert set(paths["/api/v1/friends/requests"]["post"]["responses"]) >= {"200", "201", "400", "404", "409"}


@pytest.mark.django_db
def test_q_finds_names_among_the_people_i_may_see_with_their_whole_board_rank():
    me, friend = make_user(display_name="Me"), make_user(display_name="Anna Friend", visibility=Visibility.FRIENDS)
    befriend(me, friend)
    walk(make_user(display_name="Anna Public"), 9_000)
    walk(make_user(display_name="Bo"), 8_000)
    walk(friend, 7_000)
    walk(make_user(display_name="Anna Private", visibility=Visibility.PRIVATE), 50_000)
    rebuilt("day")
    response = client_for(me).get("/api/v1/rankings/day", {"date": REF.isoformat(), "q": "ANNA"})
    assert response.status_code == 200
    assert names(response.json()) == [(1, "Anna Public", 9_000), (3, "Anna Friend", 7_000)]
    stranger = client_for(make_user(display_name="Stranger")).get(
        "/api/v1/rankings/day", {"date": REF.isoformat(), "q": "anna", "scope": "friends"}
    )
    assert names(stranger.json()) == []
    mine = client_for(me).get("/api/v1/rankings/day", {"date": REF.isoformat(), "q": "anna", "scope": "friends"})
    assert names(mine.json()) == [(1, "Anna Friend", 7_000)]


@pytest.mark.parametrize("q", ["%", "_", "' OR '1'='1", "🚶"])
@pytest.mark.django_db
def test_q_is_taken_literally(q):
    walk(make_user(display_name="Ann"), 1_000)
    response = client_for(make_user()).get("/api/v1/rankings/day", {"date": REF.isoformat(), "q": q})
    assert response.status_code == 200 and response.json()["entries"] == []


@pytest.mark.django_db
def test_q_longer_than_a_name_is_refused():
    response = client_for(make_user()).get("/api/v1/rankings/day", {"q": "x" * 65})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["q"]
