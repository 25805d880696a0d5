"""Keeping the challenge boards' index in step with MySQL.

MySQL is the truth; everything here writes Redis from it after a commit and
may fail without harm (a failed write marks the board stale, and SQL answers
it until it is rebuilt). Nothing here raises into the change that called it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from celery import current_app

from accounts.events import AccountDeleted, DaySettingsChanged
from accounts.models import User
from accounts.selectors import day_settings
from steps.models import DayTotal

from . import board_index, scoring, selectors
from .models import Challenge, Kind, Participant, Scope, Team, TeamScoring

logger = logging.getLogger(__name__)

# A board missing from the index with at most this many participants is rebuilt
# by the read that found it (a few ms); a larger one by a task, SQL answering meanwhile.
INLINE_REBUILD_AT_MOST = 5_000
REBUILD_TASK = "challenges.tasks.rebuild_board_task"


def _expire_at(challenge: Challenge) -> datetime:
    # Once final the frozen rows answer; a day's slack covers a sweep that runs late.
    return challenge.grace_ends_at + timedelta(days=1)


def _put(challenge: Challenge, pk: int | None, score: scoring.Score | None, team_id: int | None) -> board_index.Put:
    return board_index.Put(
        challenge_id=challenge.pk,
        expire_at=_expire_at(challenge),
        pk=pk,
        value=None if score is None else score.value,
        reached_at=None if score is None else score.reached_at,
        team_id=team_id,
        average=challenge.kind == Kind.TEAM and challenge.team_scoring == TeamScoring.AVERAGE,
    )


def _user_puts(
    user: User, entries: Sequence[Participant], *, telling: Collection[int] = (), now: datetime | None = None
) -> list[board_index.Put]:
    """The user's absolute score on each entry's board: one query for their days
    across all the periods, none for the goals of a user who never changed them."""
    if not entries:
        return []
    first = min(entry.challenge.starts_on for entry in entries)
    last = max(entry.challenge.ends_on for entry in entries)
    rows = DayTotal.objects.filter(user_id=user.pk, day__range=(first, last)).values_list("day", "steps", "reached_at")
    days = [scoring.Day(day=day, steps=steps, reached_at=reached) for day, steps, reached in rows]
    settings = day_settings(user)
    puts = []
    for entry in entries:
        challenge = entry.challenge
        inside = [d for d in days if challenge.starts_on <= d.day <= challenge.ends_on]
        score = selectors.person_score(challenge, user.pk, inside, settings)
        put = _put(challenge, user.pk, score, entry.team_id)
        if challenge.pk in telling and now is not None:
            put = replace(put, tell_rivals=True, told_on=now.date().isoformat())
        puts.append(put)
    return puts


def index_entries(
    *,
    user: User,
    entries: Sequence[Participant],
    force: bool,
    telling: Collection[int] = (),
    now: datetime | None = None,
) -> dict[int, board_index.Written | None]:
    """Writes the user's scores on the boards of ``entries`` (their open
    challenges); by challenge id, what the index did (None: Redis could not answer).
    On the boards of ``telling`` the rivals passed come back only once a day each."""
    if not board_index.enabled() or not entries:
        return {}
    try:
        written = board_index.put_many(_user_puts(user, entries, telling=telling, now=now), force=force)
    except board_index.IndexUnavailable:
        return dict.fromkeys((entry.challenge_id for entry in entries), None)
    except Exception:  # the change is committed: never fail it because of the index
        logger.exception("challenge index write failed for user %s", user.pk)
        return dict.fromkeys((entry.challenge_id for entry in entries), None)
    return {entry.challenge_id: w for entry, w in zip(entries, written, strict=True)}


def _safely(puts: list[board_index.Put], *, force: bool = True) -> None:
    if not board_index.enabled() or not puts:
        return
    try:
        board_index.put_many(puts, force=force)
    except board_index.IndexUnavailable:
        pass  # marked stale: rebuilt on its next read
    except Exception:
        logger.exception("challenge index write failed")


def entry_changed(*, challenge: Challenge, user: User) -> None:
    """After a join: the participant's score (days already in the period count)."""
    entry = Participant.objects.filter(challenge=challenge, user=user).select_related("challenge").first()
    if entry is not None:
        _safely(_user_puts(user, [entry]))


def entry_left(*, challenge: Challenge, user_pk: int, team_id: int | None) -> None:
    """After a leave (or an account's deletion): off the board, out of the team's score."""
    _safely([_put(challenge, user_pk, None, team_id)])


def team_added(*, team: Team) -> None:
    """An empty team is on the teams board at 0, as the SQL table has it."""
    _safely([_put(team.challenge, None, None, team.pk)])


def forget(*, challenge_id: int) -> None:
    """Once final, the frozen rows answer: the index lets the board go."""
    if not board_index.enabled():
        return
    with contextlib.suppress(board_index.IndexUnavailable):  # else its keys expire a day after the grace window
        board_index.drop(challenge_id)


# --- Account deletion ---------------------------------------------------------------


def collect_deleted_entries(event: AccountDeleted) -> None:
    """In the deleting transaction, while the entries can still be read: once it
    commits, the account leaves every open challenge's board (and its team's score)."""
    from django.db import transaction

    entries = list(
        Participant.objects.filter(user_id=event.user_pk, challenge__finalised_at__isnull=True).select_related(
            "challenge"
        )
    )
    if not entries:
        return
    user_pk = event.user_pk

    def leave_boards() -> None:
        _safely([_put(entry.challenge, user_pk, None, entry.team_id) for entry in entries])

    transaction.on_commit(leave_boards, robust=True)


# --- Rebuild and self-repair -----------------------------------------------------------


def rebuild(*, challenge: Challenge) -> int | None:
    """Fills a board's index from MySQL; returns how many people it wrote, or
    None when another process is rebuilding it. Raises ``IndexUnavailable``."""
    team_ids = list(Team.objects.filter(challenge=challenge).values_list("pk", flat=True))
    build = board_index.build_start(challenge.pk, team_ids)
    if build is None:
        return None
    try:
        table = selectors.live_standings(challenge)
        people = [
            (board_index.Row(pk=row.pk, value=row.score, reached_at=row.reached_at), row.team_id)
            for row in table.people
            if row.pk is not None
        ]
        teams = [
            board_index.Row(pk=row.pk, value=row.score, reached_at=row.reached_at)
            for row in table.teams
            if row.pk is not None
        ]
        board_index.build_put(build, people, teams)
        dirty = board_index.build_finish(build, _expire_at(challenge))
        if dirty is None:
            raise RuntimeError(f"lost the rebuild claim of challenge {challenge.pk}")
    except BaseException:
        board_index.build_abort(build)
        raise
    _rewrite(challenge, dirty)
    return len(people)


def _rewrite(challenge: Challenge, dirty: Iterable[str]) -> None:
    """What changed while the rebuild read MySQL, written again now that the board is ready."""
    user_pks = [int(item[1:]) for item in dirty if item.startswith("u")]
    team_pks = [int(item[1:]) for item in dirty if item.startswith("t")]
    puts: list[board_index.Put] = []
    entries = Participant.objects.filter(challenge=challenge, user_id__in=user_pks).select_related("challenge", "user")
    found = set()
    for entry in entries:
        found.add(entry.user_id)
        puts += _user_puts(entry.user, [entry])
    # Gone while it rebuilt (left, or deleted): off the board.
    puts += [_put(challenge, pk, None, None) for pk in user_pks if pk not in found]
    puts += [
        _put(challenge, None, None, pk) for pk in Team.objects.filter(pk__in=team_pks).values_list("pk", flat=True)
    ]
    _safely(puts)


def request_repair(*, challenge: Challenge) -> None:
    """A read found the board missing: rebuild it now when it is small, else
    queue one rebuild (whichever node asks first)."""
    try:
        if not board_index.claim_repair(challenge.pk):
            return
        if Participant.objects.filter(challenge=challenge).count() <= INLINE_REBUILD_AT_MOST:
            rebuild(challenge=challenge)
        else:
            # By name: the task module imports this one.
            current_app.send_task(REBUILD_TASK, args=(challenge.pk,), retry=False)
    except board_index.IndexUnavailable:
        pass
    except Exception:  # the reader has its answer from SQL; the next one asks again
        logger.exception("could not rebuild the board of challenge %s", challenge.pk)


def read_board(
    *,
    challenge: Challenge,
    scope: Scope,
    viewer: User | None,
    offset: int,
    limit: int,
    my_team: int | selectors.Unknown | None = selectors.UNKNOWN,
) -> selectors.BoardPage:
    """``selectors.board_page``, and a repair when the index had lost the board."""
    page = selectors.board_page(
        challenge=challenge, scope=scope, viewer=viewer, offset=offset, limit=limit, my_team=my_team
    )
    if page.index_lost:
        request_repair(challenge=challenge)
    return page


def rejudge_goal_days(event: DaySettingsChanged) -> None:
    """After commit (``accounts.events.day_settings_changed``): a new goal holds
    from today, so today may count as a goal day or stop counting; the user's
    goal_days and streak boards are written again (forced: a score may fall)."""
    from django.utils import timezone

    now = timezone.now()
    entries = [
        entry
        for entry in Participant.objects.filter(
            user=event.user, challenge__finalised_at__isnull=True, challenge__kind__in=(Kind.GOAL_DAYS, Kind.STREAK),
            challenge__target__isnull=True,
        ).select_related("challenge")
        if entry.challenge.state_at(now).value in ("running", "grace")
    ]  # fmt: skip
    _safely(_user_puts(event.user, entries))
