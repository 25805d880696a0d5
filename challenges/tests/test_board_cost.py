"""A board read costs a bounded number of SQL queries and Redis round trips,
whatever the board's size and page: the work a request does, not its time
(bench/challenges.py times it). And the one query that finds the challenge
and the viewer's entry together answers who may see it exactly as
``visible_challenge`` does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges import board_services, selectors, services
from challenges.models import Kind, Membership
from pedometer_site.tests.testing import client_for, make_user, redis_traffic
from rankings import index as rankings_index

from .builders import days_ago, started, team, walk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breaker():
    rankings_index.reset_state()
    yield
    rankings_index.reset_state()


@pytest.mark.parametrize("scope", ["people", "teams"])
@pytest.mark.parametrize("viewer", ["in a team", "not in it"])
def test_a_board_page_is_three_queries_and_one_round_trip_to_the_index(scope, viewer):
    people = [make_user(display_name=f"Walker {n}") for n in range(8)]
    challenge = started(Kind.TEAM, creator=people[0], starts_on=days_ago(3), ends_on=days_ago(-3))
    team(challenge, "Reds", *people[:4])
    team(challenge, "Blues", *people[4:])
    for n, person in enumerate(people):
        walk(person, 1_000 * n, days_ago(1))
    assert board_services.rebuild(challenge=challenge)
    reader = people[2] if viewer == "in a team" else make_user(display_name="Onlooker")
    client = client_for(reader)
    url = f"/api/v1/challenges/{challenge.pk}/leaderboard"
    client.get(url)  # the process's first contact with Redis checks its master once
    with CaptureQueriesContext(connection) as queries, redis_traffic() as sent:
        body = client.get(url, {"scope": scope, "limit": 5, "offset": 1}).json()
    assert len(body["entries"]) == (5 if scope == "people" else 1)
    if viewer == "in a team":
        assert body["me"] is not None
    # The signed-in user's row, the challenge with my entry, the page's names.
    assert len(queries) <= 3, [q["sql"][:120] for q in queries.captured_queries]
    assert sent.round_trips(touching=b":rank:") == 1, sent.sends


def test_the_board_query_lets_in_exactly_whom_visible_challenge_lets_in():
    now = timezone.now()
    owner, member, outsider, former = (make_user(display_name=n) for n in ("Owner", "Member", "Out", "Former"))
    private = services.group_create(user=owner, name="Family", visibility="private", now=now)
    public = services.group_create(user=owner, name="Club", visibility="public", now=now)
    for group in (private, public):
        services.group_join(user=member, code=group.invite_code, now=now)
        services.group_join(user=former, code=group.invite_code, now=now)
    challenges = [
        started(Kind.TOTAL, creator=owner, starts_on=days_ago(1), ends_on=days_ago(-3), entrants=[former]),
        started(Kind.TOTAL, creator=owner, starts_on=days_ago(1), ends_on=days_ago(-3), group=private,
                entrants=[former]),
        started(Kind.TOTAL, creator=owner, starts_on=days_ago(1), ends_on=days_ago(-3), group=public),
        started(Kind.TEAM, creator=owner, starts_on=days_ago(1), ends_on=days_ago(-3), group=private),
    ]  # fmt: skip
    team(challenges[3], "Reds", member)
    # Left the private group, still in its challenge: they still see it.
    Membership.objects.filter(group=private, user=former).delete()
    for challenge in challenges:
        for user in (owner, member, outsider, former):
            expected = selectors.visible_challenge(challenge_id=challenge.pk, user=user)
            found = selectors.visible_board(challenge_id=challenge.pk, user=user)
            assert (found.challenge if found else None) == expected, (challenge.name, user.display_name)
            if found is not None:
                entry = selectors.participant_of(challenge=challenge, user=user)
                assert (found.joined, found.my_team) == (entry is not None, entry.team_id if entry else None)
                for name in ("starts_on", "ends_on", "grace_ends_at", "summary", "finalised_at", "group_id"):
                    assert getattr(found.challenge, name) == getattr(expected, name), name
    assert selectors.visible_challenge(challenge_id=challenges[1].pk, user=outsider) is None
    assert selectors.visible_board(challenge_id=10**9, user=owner) is None


def test_a_redis_that_lost_its_scripts_still_answers_the_board_from_the_index():
    ada, bo = make_user(display_name="Ada"), make_user(display_name="Bo")
    challenge = started(Kind.TOTAL, creator=ada, starts_on=days_ago(2), ends_on=days_ago(-2), entrants=[bo])
    walk(bo, 3_000, days_ago(1))
    assert board_services.rebuild(challenge=challenge)
    kwargs = dict(challenge=challenge, scope=selectors.Scope.PEOPLE, viewer=ada, offset=0, limit=10)
    assert selectors.board_page(**kwargs).source == "index"
    with rankings_index.connection() as client:
        client.script_flush()  # a restarted Redis: the next EVALSHA is a NOSCRIPT
    page = selectors.board_page(**kwargs)
    assert page.source == "index"
    assert [(r.rank, r.name, r.score) for r in page.entries] == [(1, "Bo", 3_000), (2, "Ada", 0)]
    assert page.me is not None and page.me.rank == 2
