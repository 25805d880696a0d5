"""Reads: who may see what, and a challenge's standings.

A running (or grace) challenge is scored from ``DayTotal`` at read time, one
aggregate query for the step-summing kinds and one row per participant-day
for the day-counting ones; a final one is read from its frozen ``Result``
rows. ``standings`` is the one seam a Redis index would sit behind (see the
README, "Challenges"). Selectors never write: finalising on a read is the
view's call to ``services.finalise_if_due``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import cast
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Count, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Least

from accounts.models import DaySettings, User
from accounts.selectors import DaySettingsOf
from steps.models import DayTotal

from . import scoring
from .models import Challenge, Group, GroupVisibility, Kind, Membership, Participant, Result, Role, Scope, State, Team

MAX_LIMIT = 200
MAX_OFFSET = 100_000


# --- Groups ----------------------------------------------------------------------


def membership_of(*, group: Group, user: User) -> Membership | None:
    return Membership.objects.filter(group=group, user=user).first()


def visible_group(*, group_id: int, user: User) -> tuple[Group, Membership | None] | None:
    """The group and the viewer's membership, or None when they may not see it
    (someone else's private group is as good as missing)."""
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        return None
    membership = membership_of(group=group, user=user)
    if membership is None and group.visibility != GroupVisibility.PUBLIC:
        return None
    return group, membership


def groups_of(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("group")
        .annotate(members=Count("group__memberships"))
        .order_by("group__name", "group_id")
    )


def members_page(*, group: Group, offset: int, limit: int) -> tuple[int, list[Membership]]:
    rows = Membership.objects.filter(group=group).select_related("user").order_by("joined_at", "id")
    return rows.count(), list(rows[offset : offset + limit])


def can_manage(membership: Membership | None) -> bool:
    return membership is not None and membership.role in (Role.OWNER, Role.ADMIN)


# --- Challenges -----------------------------------------------------------------


def _visible_to(user: User) -> Q:
    mine = Membership.objects.filter(user=user).values("group_id")
    return (
        Q(group__isnull=True)
        | Q(group__visibility=GroupVisibility.PUBLIC)
        | Q(group_id__in=mine)
        | Q(participants__user=user)
    )


def visible_challenge(*, challenge_id: int, user: User) -> Challenge | None:
    rows = Challenge.objects.filter(_visible_to(user), pk=challenge_id).select_related("group", "opponent")
    return rows.distinct().first()


@dataclass(frozen=True)
class BoardOf:
    challenge: Challenge
    joined: bool
    my_team: int | None


def _loader(alias: str) -> tuple[list[str], list[tuple]]:
    """The challenge's columns and each one's converters on ``alias``, as the ORM
    applies them (dates on SQLite, the JSON summary), worked out once per process."""
    if alias not in _LOADERS:
        connection = connections[alias]
        fields = Challenge._meta.concrete_fields
        converters = []
        for f in fields:
            col = f.get_col(Challenge._meta.db_table)
            converters.append((col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]))
        _LOADERS[alias] = ([f.attname for f in fields], converters)
    return _LOADERS[alias]


_LOADERS: dict[str, tuple[list[str], list[tuple]]] = {}


def visible_board(*, challenge_id: int, user: User) -> BoardOf | None:
    """``visible_challenge`` and the viewer's entry in it, in one plain query:
    every board read asks both, and the ORM's join (and DISTINCT) over the
    participants, compiled on each request, cost more CPU than the board itself.
    The same rule: open, a public group's, a group of mine, or one I am in."""
    alias = router.db_for_read(Challenge) or DEFAULT_DB_ALIAS
    connection = connections[alias]
    q = connection.ops.quote_name
    names, converters = _loader(alias)
    columns = ", ".join(f"c.{q(cast(str, f.column))}" for f in Challenge._meta.concrete_fields)
    sql = (
        f"SELECT {columns}, me.id, me.team_id FROM {q(Challenge._meta.db_table)} c "  # noqa: S608 - parameters
        f"LEFT JOIN {q(Group._meta.db_table)} g ON g.id = c.group_id "
        f"LEFT JOIN {q(Participant._meta.db_table)} me ON me.challenge_id = c.id AND me.user_id = %s "
        "WHERE c.id = %s AND (c.group_id IS NULL OR g.visibility = %s OR me.id IS NOT NULL OR EXISTS ("
        f"SELECT 1 FROM {q(Membership._meta.db_table)} m WHERE m.group_id = c.group_id AND m.user_id = %s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, challenge_id, GroupVisibility.PUBLIC.value, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (col, functions) in zip(row, converters, strict=False):
        for function in functions:
            value = function(value, col, connection)
        values.append(value)
    entry, team = row[-2], row[-1]
    return BoardOf(
        challenge=Challenge.from_db(alias, names, values), joined=entry is not None, my_team=team if entry else None
    )


def challenges_in_state(*, user: User, state: State | None, now: datetime, offset: int, limit: int) -> list[Challenge]:
    rows = Challenge.objects.filter(_visible_to(user)).select_related("group", "opponent").distinct()
    if state is not None:
        rows = rows.filter(finalised_at__isnull=state != State.FINAL)
    rows = rows.annotate(participant_count=Count("participants", distinct=True)).order_by("starts_on", "id")
    picked = [c for c in rows if state is None or c.state_at(now) == state]
    return list(picked[offset : offset + limit])


def recently_final(*, user: User, limit: int) -> list[Challenge]:
    """The last final challenges the user may see, newest first (the list page's results)."""
    rows = Challenge.objects.filter(_visible_to(user), finalised_at__isnull=False).distinct()
    return list(rows.select_related("group").order_by("-finalised_at", "-id")[:limit])


def participant_of(*, challenge: Challenge, user: User) -> Participant | None:
    return Participant.objects.filter(challenge=challenge, user=user).select_related("team").first()


def teams_of(*, challenge: Challenge) -> list[Team]:
    return list(Team.objects.filter(challenge=challenge).annotate(size=Count("members")).order_by("name", "id"))


def running_challenges_of(*, user: User, now: datetime) -> list[Challenge]:
    """The challenges a user is in whose period is open (for pushes and the seam of the fan-out)."""
    rows = Challenge.objects.filter(participants__user=user, finalised_at__isnull=True).distinct()
    return [c for c in rows if c.state_at(now) in (State.RUNNING, State.GRACE)]


# --- Standings ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    rank: int
    position: int
    pk: int | None  # user or team pk; None for a former participant
    name: str
    score: float
    reached_at: datetime | None
    user_id: str | None = None  # public id
    team_id: int | None = None
    team_name: str = ""
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Standings:
    people: list[Row]
    teams: list[Row]
    summary: dict
    final: bool

    def scope(self, scope: Scope) -> list[Row]:
        return self.teams if scope == Scope.TEAMS else self.people

    def row_of(self, *, user_pk: int) -> Row | None:
        return next((row for row in self.people if row.pk == user_pk), None)


@dataclass(frozen=True)
class _Person:
    pk: int
    uuid: str
    name: str
    settings: DaySettingsOf
    team_id: int | None
    team_name: str


def _participants(challenge: Challenge, *, user_pks: list[int] | None = None) -> dict[int, _Person]:
    """Every participant (or those of ``user_pks``), with the goal each day had:
    one more query only when some of them ever changed goal or zone."""
    rows = Participant.objects.filter(challenge=challenge)
    if user_pks is not None:
        rows = rows.filter(user_id__in=user_pks)
    fields = rows.values_list(
        "user_id", "user__uuid", "user__display_name", "user__daily_goal", "user__timezone",
        "user__day_settings_changed", "team_id", "team__name",
    )  # fmt: skip
    found = list(fields)
    history: dict[int, list[tuple]] = defaultdict(list)
    changed = [row[0] for row in found if row[5]]
    if changed:
        settings_rows = DaySettings.objects.filter(user_id__in=changed).order_by("user_id", "starts_on")
        for pk, starts_on, goal, zone in settings_rows.values_list("user_id", "starts_on", "daily_goal", "timezone"):
            history[pk].append((starts_on, goal, zone))
    return {
        pk: _Person(
            pk=pk, uuid=str(uuid), name=name, team_id=team, team_name=team_name or "",
            settings=DaySettingsOf(current_goal=goal, current_zone=zone, history=history.get(pk, [])),
        )
        for pk, uuid, name, goal, zone, _changed, team, team_name in found
    }  # fmt: skip


def _days_in_period(challenge: Challenge) -> QuerySet:
    entrants = Participant.objects.filter(challenge=challenge).values("user_id")
    return DayTotal.objects.filter(day__range=(challenge.starts_on, challenge.ends_on), user_id__in=entrants)


def _capped_totals(challenge: Challenge) -> dict[int, scoring.Score]:
    """Each participant's capped total in one aggregate query."""
    rows = (
        _days_in_period(challenge)
        .filter(steps__gt=0)
        .values("user_id")
        .annotate(total=Sum(Least("steps", Value(challenge.daily_cap))), last=Max("reached_at"))
        .values_list("user_id", "total", "last")
    )
    return {pk: scoring.Score(key=pk, value=int(total), reached_at=last) for pk, total, last in rows}


def _days_by_person(challenge: Challenge) -> dict[int, list[scoring.Day]]:
    days: dict[int, list[scoring.Day]] = defaultdict(list)
    for pk, day, steps, reached in _days_in_period(challenge).values_list("user_id", "day", "steps", "reached_at"):
        days[pk].append(scoring.Day(day=day, steps=steps, reached_at=reached))
    return days


def person_score(challenge: Challenge, pk: int, days: list[scoring.Day], settings: DaySettingsOf) -> scoring.Score:
    """One participant's score from their days inside the period: the rule the
    SQL board and the board index share. Without a ``target``, goal_days and
    streak judge each day by the goal it had (a goal changed mid-challenge
    does not rewrite the days before)."""
    if challenge.kind in (Kind.GOAL_DAYS, Kind.STREAK):
        rule = scoring.goal_days_score if challenge.kind == Kind.GOAL_DAYS else scoring.streak_score
        return rule(pk, days, target=challenge.target or settings.goal_on)
    return scoring.total_score(pk, days, daily_cap=challenge.daily_cap)


def people_scores(challenge: Challenge, people: dict[int, _Person]) -> dict[int, scoring.Score]:
    """Every participant's score by the challenge's kind (zero for those with no steps yet)."""
    if challenge.kind in (Kind.GOAL_DAYS, Kind.STREAK):
        days = _days_by_person(challenge)
        return {pk: person_score(challenge, pk, days.get(pk, []), person.settings) for pk, person in people.items()}
    totals = _capped_totals(challenge)
    return {pk: totals.get(pk) or scoring.Score(key=pk, value=0, reached_at=None) for pk in people}


def group_summary(challenge: Challenge) -> dict:
    """group_target's progress: one aggregate of capped steps per (local) day."""
    per_day = (
        _days_in_period(challenge)
        .values("day")
        .annotate(total=Sum(Least("steps", Value(challenge.daily_cap))))
        .values_list("day", "total")
    )
    running, reached_on, target = 0, None, challenge.target or 0
    for day, total in sorted(per_day):
        running += int(total or 0)
        if reached_on is None and running >= target:
            reached_on = day
    progress = scoring.GroupProgress(total=running, target=target, reached_on=reached_on)
    return {
        "total": progress.total,
        "target": progress.target,
        "percent": progress.percent,
        "reached_on": progress.reached_on.isoformat() if progress.reached_on else None,
    }


def duel_summary(challenge: Challenge, first_two: list[tuple[float, str | None]]) -> dict:
    """head_to_head's outcome from the first two rows of its board (score, public id)."""
    scores = [scoring.Score(key=n, value=value, reached_at=None) for n, (value, _) in enumerate(first_two)]
    duel = scoring.head_to_head(scores)
    return {"outcome": duel.outcome, "winner": first_two[duel.winner][1] if duel.winner is not None else None}


def live_standings(challenge: Challenge) -> Standings:
    """The provisional table, from the participants' daily totals now."""
    people = _participants(challenge)
    scores = people_scores(challenge, people)
    people_rows = [
        Row(
            rank=r.rank,
            position=r.position,
            pk=r.score.key,
            name=people[r.score.key].name,
            score=r.score.value,
            reached_at=r.score.reached_at,
            user_id=people[r.score.key].uuid,
            team_id=people[r.score.key].team_id,
            team_name=people[r.score.key].team_name,
            detail=r.score.detail,
        )
        for r in scoring.rank(scores.values())
    ]
    team_rows: list[Row] = []
    summary: dict = {}
    if challenge.kind == Kind.TEAM:
        team_rows = _team_rows(challenge, people, scores)
    elif challenge.kind == Kind.HEAD_TO_HEAD:
        summary = duel_summary(challenge, [(row.score, row.user_id) for row in people_rows[:2]])
    elif challenge.kind == Kind.GROUP_TARGET:
        summary = group_summary(challenge)
    return Standings(people=people_rows, teams=team_rows, summary=summary, final=False)


def _team_rows(challenge: Challenge, people: dict[int, _Person], scores: dict[int, scoring.Score]) -> list[Row]:
    teams = {team.pk: team.name for team in Team.objects.filter(challenge=challenge)}
    members: dict[int, list[scoring.Score]] = {pk: [] for pk in teams}
    for pk, person in people.items():
        if person.team_id is not None:
            members.setdefault(person.team_id, []).append(scores[pk])
    average = challenge.team_scoring == "average"
    return [
        Row(
            rank=r.rank,
            position=r.position,
            pk=r.score.key,
            name=teams.get(r.score.key, ""),
            score=r.score.value,
            reached_at=r.score.reached_at,
            team_id=r.score.key,
            team_name=teams.get(r.score.key, ""),
            detail=r.score.detail,
        )
        for r in scoring.rank(scoring.team_scores(members, average=average))
    ]


def frozen_standings(challenge: Challenge) -> Standings:
    rows = Result.objects.filter(challenge=challenge).select_related("user").order_by("scope", "position")
    people: list[Row] = []
    teams: list[Row] = []
    for result in rows:
        row = Row(
            rank=result.rank,
            position=result.position,
            pk=result.user_id if result.scope == Scope.PEOPLE else result.team_id,
            name=result.display_name,
            score=result.score,
            reached_at=result.reached_at,
            user_id=str(result.user.uuid) if result.user is not None else None,
            team_id=result.team_id,
            team_name=result.team_name,
            detail=result.detail,
        )
        (people if result.scope == Scope.PEOPLE else teams).append(row)
    return Standings(people=people, teams=teams, summary=challenge.summary, final=True)


def standings(challenge: Challenge) -> Standings:
    return frozen_standings(challenge) if challenge.finalised_at is not None else live_standings(challenge)


def passed_by(*, challenge: Challenge, user: User, changes: list) -> list[User]:
    """The participants ``user`` went past with ``changes`` (days inside the period): on the
    people board for total and head-to-head, in other teams for a team challenge. Their
    score was above the user's before and is below it now (an equal score stays ahead:
    it got there first)."""
    cap = challenge.daily_cap
    delta = sum(min(c.new_total, cap) - min(c.old_total, cap) for c in changes)
    if delta <= 0:
        return []
    totals = (
        _days_in_period(challenge).filter(steps__gt=0).values("user_id").annotate(total=Sum(Least("steps", Value(cap))))
    )
    if challenge.kind == Kind.TEAM:
        return _teams_passed(challenge, user, delta)
    new = next(iter(totals.filter(user_id=user.pk).values_list("total", flat=True)), 0)
    old = new - delta
    passed = totals.exclude(user_id=user.pk).filter(total__gt=old, total__lt=new).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=list(passed)))


def _teams_passed(challenge: Challenge, user: User, delta: int) -> list[User]:
    mine = Participant.objects.filter(challenge=challenge, user=user).values_list("team_id", flat=True).first()
    if mine is None:
        return []
    table = {row.pk: row for row in live_standings(challenge).teams}
    if mine not in table:
        return []
    size = table[mine].detail.get("members", 1) or 1
    new = table[mine].score
    old = new - (delta / size if challenge.team_scoring == "average" else delta)
    passed = [pk for pk, row in table.items() if pk is not None and pk != mine and old < row.score < new]
    return list(User.objects.filter(challenge_entries__challenge=challenge, challenge_entries__team_id__in=passed))


# --- Boards: the index while running, SQL when it cannot answer, frozen rows once final ----


@dataclass(frozen=True)
class BoardPage:
    entries: list[Row]
    count: int
    me: Row | None  # the viewer's row on this scope (their team's on the teams board)
    my_team: int | None
    summary: dict
    final: bool
    source: str  # "index", "sql" or "frozen"
    index_lost: bool = False  # the index had no such board: a rebuild is due (``board_services.read_board``)


def _page_from_table(table: Standings, *, scope: Scope, viewer_pk: int | None, offset: int, limit: int) -> BoardPage:
    rows = table.scope(scope)
    mine = table.row_of(user_pk=viewer_pk) if viewer_pk is not None else None
    my_team = mine.team_id if mine is not None else None
    me = mine
    if scope == Scope.TEAMS:
        me = next((row for row in table.teams if my_team is not None and row.pk == my_team), None)
    return BoardPage(
        entries=rows[offset : offset + limit],
        count=len(rows),
        me=me,
        my_team=my_team,
        summary=table.summary,
        final=table.final,
        source="frozen" if table.final else "sql",
    )


def _names(challenge: Challenge, pks: list[int]) -> dict[int, tuple[str, str, int | None, str]]:
    """(public id, name, team pk, team name) of some participants, one query,
    in plain SQL: a board page asks it on every read, and the ORM's compiling of
    the three-table join cost as much CPU as the rest of the page's Python."""
    if not pks:
        return {}
    ops = connections[router.db_for_read(Participant)].ops
    q = ops.quote_name
    user, team = User._meta.db_table, Team._meta.db_table
    marks = ", ".join(["%s"] * len(pks))
    sql = (
        f"SELECT p.user_id, u.uuid, u.display_name, p.team_id, t.name FROM {q(Participant._meta.db_table)} p "  # noqa: S608 - parameters
        f"JOIN {q(user)} u ON u.id = p.user_id LEFT JOIN {q(team)} t ON t.id = p.team_id "
        f"WHERE p.challenge_id = %s AND p.user_id IN ({marks})"
    )
    with connections[router.db_for_read(Participant)].cursor() as cursor:
        cursor.execute(sql, [challenge.pk, *pks])
        rows = cursor.fetchall()
    # MariaDB's UUID type reads as the dashed text, a CHAR(32) column (SQLite, MySQL) as bare hex.
    return {
        pk: (uuid if len(uuid) == 36 else str(UUID(uuid)), name, team, team_name or "")
        for pk, uuid, name, team, team_name in rows
    }


def _team_names(challenge: Challenge, pks: list[int]) -> dict[int, str]:
    if not pks:
        return {}
    q = connections[router.db_for_read(Team)].ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    sql = f"SELECT id, name FROM {q(Team._meta.db_table)} WHERE challenge_id = %s AND id IN ({marks})"  # noqa: S608 - parameters
    with connections[router.db_for_read(Team)].cursor() as cursor:
        cursor.execute(sql, [challenge.pk, *pks])
        return dict(cursor.fetchall())


def viewer_team(challenge: Challenge, viewer_pk: int | None) -> int | None:
    """The viewer's team on ``challenge`` (None: no team, or not in it)."""
    if viewer_pk is None:
        return None
    return Participant.objects.filter(challenge=challenge, user_id=viewer_pk).values_list("team_id", flat=True).first()


def _index_page(
    challenge: Challenge, *, scope: Scope, viewer_pk: int | None, offset: int, limit: int, my_team: int | None
) -> BoardPage:
    from . import board_index

    teams = scope == Scope.TEAMS
    page = board_index.read_page(
        challenge.pk, teams=teams, offset=offset, limit=limit, me_pk=my_team if teams else viewer_pk,
        first_two=challenge.kind == Kind.HEAD_TO_HEAD,
    )  # fmt: skip
    if teams:
        wanted = [r.standing.pk for r in page.rows] + ([page.me.standing.pk] if page.me else [])
        names = _team_names(challenge, list(set(wanted)))

        def row_of(ranked: board_index.Ranked, position: int) -> Row:
            s = ranked.standing
            name = names.get(s.pk, "")
            return Row(
                rank=ranked.rank, position=position, pk=s.pk, name=name, score=s.value, reached_at=s.reached_at,
                team_id=s.pk, team_name=name, detail={},
            )  # fmt: skip

        entries = [row_of(r, offset + n + 1) for n, r in enumerate(page.rows)]
        me = row_of(page.me, 0) if page.me else None
        summary: dict = {}
    else:
        wanted = [r.standing.pk for r in page.rows] + ([page.me.standing.pk] if page.me else [])
        people = _names(challenge, list(set(wanted)))

        def row_of(ranked: board_index.Ranked, position: int) -> Row:
            s = ranked.standing
            uuid, name, team, team_name = people.get(s.pk, ("", "", None, ""))
            return Row(
                rank=ranked.rank, position=position, pk=s.pk, name=name, score=s.value, reached_at=s.reached_at,
                user_id=uuid or None, team_id=team, team_name=team_name, detail={},
            )  # fmt: skip

        # A participant deleted a moment ago may still be in the index: not shown.
        entries = [row_of(r, offset + n + 1) for n, r in enumerate(page.rows) if r.standing.pk in people]
        me = row_of(page.me, 0) if page.me else None
        summary = {}
    if challenge.kind == Kind.HEAD_TO_HEAD:
        duelists = _names(challenge, [s.pk for s in page.first_two])
        summary = duel_summary(challenge, [(s.value, duelists.get(s.pk, ("",))[0] or None) for s in page.first_two])
    if challenge.kind == Kind.GROUP_TARGET:
        summary = group_summary(challenge)
    return BoardPage(
        entries=entries, count=page.count, me=me, my_team=my_team, summary=summary, final=False, source="index"
    )


class Unknown(Enum):
    UNKNOWN = "unknown"


UNKNOWN = Unknown.UNKNOWN  # the caller did not read the viewer's team: board_page looks it up


def board_page(
    *,
    challenge: Challenge,
    scope: Scope,
    viewer: User | None,
    offset: int,
    limit: int,
    use_index: bool = True,
    my_team: int | Unknown | None = UNKNOWN,
) -> BoardPage:
    """A page of a challenge's board and the viewer's place: the frozen rows
    once final; while it runs, the Redis index, or SQL (identically) when the
    index cannot answer. ``my_team``: the viewer's team when the caller already
    read it (``visible_board``), else it is looked up."""
    from rankings import index as rankings_index

    from . import board_index

    viewer_pk = viewer.pk if viewer is not None else None
    if challenge.finalised_at is not None:
        return _page_from_table(
            frozen_standings(challenge), scope=scope, viewer_pk=viewer_pk, offset=offset, limit=limit
        )
    lost = False
    if use_index and board_index.enabled():
        try:
            team = viewer_team(challenge, viewer_pk) if my_team is UNKNOWN else my_team
            return _index_page(challenge, scope=scope, viewer_pk=viewer_pk, offset=offset, limit=limit, my_team=team)
        except board_index.IndexUnavailable as exc:
            rankings_index.count_fallback(exc.reason)
            lost = exc.reason == "not_ready"
    page = _page_from_table(live_standings(challenge), scope=scope, viewer_pk=viewer_pk, offset=offset, limit=limit)
    return BoardPage(**{**page.__dict__, "index_lost": lost})


def people_rows(*, challenge: Challenge, user_pks: list[int]) -> list[Row]:
    """Some participants' rows with their current ranks (the live feed's changed rows)."""
    from . import board_index

    if challenge.finalised_at is None and board_index.enabled():
        try:
            places = board_index.read_people(challenge.pk, user_pks)
        except board_index.IndexUnavailable:
            pass
        else:
            people = _names(challenge, list(places))
            rows = []
            for pk, ranked in places.items():
                if pk not in people:
                    continue
                uuid, name, team, team_name = people[pk]
                s = ranked.standing
                rows.append(
                    Row(rank=ranked.rank, position=0, pk=pk, name=name, score=s.value, reached_at=s.reached_at,
                        user_id=uuid, team_id=team, team_name=team_name)
                )  # fmt: skip
            return sorted(rows, key=lambda row: (row.rank, row.reached_at is None, row.pk or 0))
    wanted = set(user_pks)
    return [row for row in standings(challenge).people if row.pk in wanted]
