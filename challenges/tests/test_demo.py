"""seed_demo's challenges: a group with teams, a running challenge of each kind, one final; nothing twice."""

import pytest
from django.utils import timezone

from challenges.demo import seed_challenges
from challenges.models import Challenge, Kind, State, Team
from pedometer_site.tests.testing import make_user

pytestmark = pytest.mark.django_db


def test_a_running_challenge_of_each_kind_and_one_final_once():
    users = [make_user() for _ in range(8)]
    now = timezone.now()
    assert seed_challenges(users=users, now=now) == 7
    running = {c.kind for c in Challenge.objects.all() if c.state_at(now) == State.RUNNING}
    assert running == set(Kind.values)
    assert Challenge.objects.filter(finalised_at__isnull=False).count() == 1
    assert Team.objects.count() == 3
    assert seed_challenges(users=users, now=now) == 0
    assert Challenge.objects.count() == 7
