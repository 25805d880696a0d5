"""A transaction that lost its connection or its race is run again, when that
is safe: a failover or a Galera certification conflict mid-sync costs the phone
nothing; past the bounded retries it gets a 503 with Retry-After."""

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from accounts.services import tokens_for
from infrastructure.db import transactions
from infrastructure.db.transactions import run_idempotent_transaction
from pedometer_site.tests.testing import make_user
from steps import services
from steps.local_days import local_today
from steps.models import DayTotal

LOST = OperationalError(2013, "Lost connection to server during query")
CONFLICT = OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")


@pytest.fixture(autouse=True)
def _no_sleeping(monkeypatch):
    monkeypatch.setattr(transactions, "RETRY_DELAYS", (0, 0, 0))
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)


def failing(times: int, error: OperationalError):
    calls: list[bool] = []

    def work(retried: bool) -> str:
        calls.append(retried)
        if len(calls) <= times:
            raise error
        return "stored"

    return work, calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [LOST, CONFLICT], ids=["lost connection", "certification conflict"])
def test_a_lost_connection_or_a_conflict_is_retried_and_the_retry_knows_it(error):
    work, calls = failing(2, error)
    assert run_idempotent_transaction(work, delays=(0, 0, 0)) == "stored"
    assert calls == [False, True, True]


@pytest.mark.django_db(transaction=True)
def test_retries_are_bounded():
    work, calls = failing(10, CONFLICT)
    with pytest.raises(OperationalError):
        run_idempotent_transaction(work, delays=(0, 0))
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_other_errors_and_lock_wait_timeouts_are_not_retried():
    for error in (OperationalError(1064, "You have an error in your SQL syntax"), OperationalError(1205, "Lock wait")):
        work, calls = failing(1, error)
        with pytest.raises(OperationalError):
            run_idempotent_transaction(work, delays=(0, 0))
        assert calls == [False]


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_it_runs_once():
    work, calls = failing(1, CONFLICT)
    with pytest.raises(OperationalError), transaction.atomic():
        run_idempotent_transaction(work, delays=(0, 0))
    assert calls == [False]


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_conflicts_once_is_stored_and_acknowledged(api, monkeypatch):
    user = make_user()
    access = tokens_for(user).access
    real = services._lock_user_and_read_totals
    conflicts = iter([CONFLICT])

    def lock_then_lose_the_race(*args, **kwargs):
        for error in conflicts:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_lock_user_and_read_totals", lock_then_lose_the_race)
    response = api.post(
        "/api/v1/steps/sync",
        {"days": [{"date": _today(user), "steps": 4200}]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    assert response.status_code == 200, response.content
    assert DayTotal.objects.get(user=user).steps == 4200


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_keeps_conflicting_gets_503_with_retry_after(api, monkeypatch):
    user = make_user()
    access = tokens_for(user).access

    def always_conflicting(*args, **kwargs):
        raise CONFLICT

    monkeypatch.setattr(services, "_lock_user_and_read_totals", always_conflicting)
    response = api.post(
        "/api/v1/steps/sync",
        {"days": [{"date": _today(user), "steps": 4200}]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "database_busy"
    assert not DayTotal.objects.filter(user=user).exists()
    assert connection.is_usable()


def _today(user) -> str:
    return local_today(user, timezone.now()).isoformat()


@pytest.mark.django_db(transaction=True)
def test_a_sync_whose_connection_dies_outside_its_transaction_runs_again(api, monkeypatch):
    # A failover cuts every session to the dead node, mid-request: here the
    # lookup of the signed-in user loses its connection once.
    from django.db.backends.utils import CursorWrapper

    from infrastructure.db import middleware

    monkeypatch.setattr(middleware, "REPLAY_DELAYS", (0, 0))
    monkeypatch.setattr(middleware.time, "sleep", lambda seconds: None)
    user = make_user()
    access = tokens_for(user).access
    real_execute = CursorWrapper.execute
    lost = iter([LOST])

    def execute(self, sql, params=None):
        if "accounts_user" in sql:
            for error in lost:
                raise error
        return real_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    response = api.post(
        "/api/v1/steps/sync",
        {"days": [{"date": _today(user), "steps": 4200}]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    assert response.status_code == 200, response.content
    assert DayTotal.objects.get(user=user).steps == 4200
