"""Leaderboard reads: from the Redis index when it can answer, from SQL otherwise.

Who is on a board depends on who looks (``Audience``): ranks are computed
among the users the viewer may see, so a hidden user never shifts anyone's
rank and a rank never hints that someone hidden is there.

- ``global``: every public user, the viewer's friends whose visibility is
  ``friends``, and the viewer themselves whatever their visibility;
- ``friends``: the viewer and their accepted friends, except friends whose
  visibility is ``private``.

Order: more steps first; on equal steps, whoever reached the total first
(for a multi-day board, the latest ``reached_at`` among the days summed, i.e.
when the current total was complete); then the lower user id. Ties share a
rank (1, 2, 2, 4). Users with no steps in the period are not on the board.

SQL ranks by COUNT(*) of higher totals and pages with the board index; never
with a window function over the whole board (742 ms at a million rows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.db import connection, connections, router
from django.db.models import F, Max, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User, Visibility
from accounts.selectors import day_settings, friend_visibilities
from infrastructure.db.replica import reading_from_replica
from steps.models import DayTotal

from . import index
from .index import MyPlace, RankedRow, Standing
from .periods import EARLIEST_DATE, BoardKey, Period

logger = logging.getLogger(__name__)

MAX_LIMIT = 200
MAX_OFFSET = 10_000
BOARD_ORDER = ("-total", "last", "user_id")


class Scope(StrEnum):
    GLOBAL = "global"
    FRIENDS = "friends"


@dataclass(frozen=True)
class Audience:
    """Who a viewer sees. ``among`` is set for the friends scope (everyone on
    that board); otherwise the board is every public user plus ``extra_pks``."""

    me_pk: int | None
    extra_pks: list[int] = field(default_factory=list)
    among: list[int] | None = None


def audience_of(viewer: User | None, scope: Scope) -> Audience:
    if viewer is None:
        return Audience(me_pk=None, among=[] if scope is Scope.FRIENDS else None)
    friends = friend_visibilities(viewer)
    if scope is Scope.FRIENDS:
        among = [viewer.pk, *sorted(pk for pk, seen in friends.items() if seen != Visibility.PRIVATE)]
        return Audience(me_pk=viewer.pk, among=among)
    extras = sorted(pk for pk, seen in friends.items() if seen == Visibility.FRIENDS)
    if viewer.visibility != Visibility.PUBLIC:
        extras.append(viewer.pk)
    return Audience(me_pk=viewer.pk, extra_pks=extras)


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: str  # the public id, as text
    display_name: str
    steps: int
    pk: int
    daily_goal: int = 0  # the user's goal now (the board's bars scale it by the board's days)


@dataclass(frozen=True)
class Board:
    key: BoardKey
    scope: Scope
    entries: list[Entry]
    me: MyPlace | None
    source: str  # "index" or "sql"
    index_lost: bool = False  # the index had no such board: a rebuild is due (``services.read_leaderboard``)


def leaderboard(
    *,
    viewer: User | None,
    key: BoardKey,
    scope: Scope = Scope.GLOBAL,
    limit: int = 100,
    offset: int = 0,
    now: datetime,
    use_index: bool = True,
    name: str = "",
) -> Board:
    """A page of a board for ``viewer`` (None: a signed-out visitor), and the
    viewer's own place. ``name``: only the people whose display name holds it
    (case-insensitive), with their ranks on the whole board."""
    audience = audience_of(viewer, scope)
    rows: list[RankedRow] | None = None
    me: MyPlace | None = None
    source = "sql"
    index_lost = False
    if name:
        rows, me = _from_sql(key, audience, offset=offset, limit=limit, name=name)
    elif use_index and index.enabled() and key.is_indexed(now):
        try:
            rows, me = _from_index(key, audience, offset=offset, limit=limit)
            source = "index"
        except index.IndexUnavailable as exc:
            index.count_fallback(exc.reason)
            index_lost = exc.reason == "not_ready"
    if rows is None:
        rows, me = _from_sql(key, audience, offset=offset, limit=limit)
    return Board(key=key, scope=scope, entries=_named(rows), me=me, source=source, index_lost=index_lost)


def _from_index(
    key: BoardKey, audience: Audience, *, offset: int, limit: int
) -> tuple[list[RankedRow], MyPlace | None]:
    if audience.among is not None:
        return index.read_among(key, pks=audience.among, me_pk=audience.me_pk, offset=offset, limit=limit)
    return index.read_global(key, extra_pks=audience.extra_pks, me_pk=audience.me_pk, offset=offset, limit=limit)


def _named(rows: list[RankedRow]) -> list[Entry]:
    if not rows:
        return []
    # One plain query: the ORM's compile and converters cost five times the
    # query itself for a hundred rows, and this runs on every board read.
    table = User._meta.db_table
    marks = ", ".join(["%s"] * len(rows))
    with connections[router.db_for_read(User)].cursor() as cursor:
        cursor.execute(
            f"SELECT id, uuid, display_name, daily_goal FROM {table} WHERE id IN ({marks})",  # noqa: S608
            [row.pk for row in rows],
        )
        people = {pk: (_public_id(uuid), name, goal) for pk, uuid, name, goal in cursor.fetchall()}
    return [
        Entry(
            rank=row.rank,
            user_id=person[0],
            display_name=person[1],
            steps=row.steps,
            pk=row.pk,
            daily_goal=person[2],
        )
        for row in rows
        # Someone deleted a moment ago has no row here; their index entry is on its way out.
        if (person := people.get(row.pk)) is not None
    ]


def _public_id(value: object) -> str:
    """A uuid column as text with dashes (MariaDB has a uuid type; SQLite keeps 32 hex digits)."""
    text = str(value)
    return text if len(text) == 36 else str(UUID(text))


def public_rows(key: BoardKey, user_ids: list[str], *, within: int) -> list[dict]:
    """Rows for the live feed, as a signed-out visitor sees the board: the
    public users among ``user_ids`` with their steps and rank, those ranked
    beyond ``within`` left out. A user with no steps left gets a row with 0
    (the page drops it). Without a ready index, ranks are None: the page
    places and ranks rows itself, and a count per row is not worth it here."""
    wanted = []
    for user_id in user_ids:
        try:
            wanted.append(UUID(str(user_id)))
        except ValueError:
            continue
    people = list(
        User.objects.filter(uuid__in=wanted, visibility=Visibility.PUBLIC).values_list(
            "pk", "uuid", "display_name", "daily_goal"
        )
    )
    if not people:
        return []
    pks = [pk for pk, _, _, _ in people]
    places: Mapping[int, tuple[int, int | None]] | None = None
    if index.enabled() and key.is_indexed(timezone.now()):
        try:
            places = index.public_places(key, pks)
        except index.IndexUnavailable:
            places = None
    if places is None:
        places = {
            pk: (total, None) for pk, total in board_totals(key, Q(user_id__in=pks)).values_list("user_id", "total")
        }
    rows = []
    for pk, uuid, name, goal in people:
        steps, rank = places.get(pk, (0, None))
        if rank is not None and rank > within:
            continue
        rows.append({"rank": rank, "user": str(uuid), "display_name": name, "steps": steps, "goal": goal * key.days})
    return sorted(rows, key=lambda row: -row["steps"])


# --- SQL -----------------------------------------------------------------------


def board_totals(key: BoardKey, who: Q | None = None) -> QuerySet[Any, Any]:
    """Each user's total on the board as (user_id, total, last) rows, unordered."""
    # One day is an equality, so the board index serves the ORDER BY.
    rows: QuerySet[Any, Any] = (
        DayTotal.objects.filter(day=key.start)
        if key.days == 1
        else DayTotal.objects.filter(day__range=(key.start, key.end))
    )
    if who is not None:
        rows = rows.filter(who)
    if key.days == 1:
        rows = rows.annotate(total=F("steps"), last=F("reached_at"))
    else:
        rows = rows.values("user_id").annotate(total=Sum("steps"), last=Max("reached_at"))
    return rows.filter(total__gt=0)


def _visible(audience: Audience) -> Q:
    if audience.among is not None:
        return Q(user_id__in=audience.among)
    public = Q(user__visibility=Visibility.PUBLIC)
    return public | Q(user_id__in=audience.extra_pks) if audience.extra_pks else public


def _standings(rows: QuerySet) -> list[Standing]:
    return [Standing(pk=pk, steps=total, member="") for pk, total in rows.values_list("user_id", "total")]


def _matching(rows: QuerySet, name: str) -> QuerySet:
    # icontains escapes LIKE's own wildcards: "%" and "_" match themselves.
    return rows.filter(user__display_name__icontains=name)


def _ranked_matches(visible: QuerySet, name: str, *, offset: int, limit: int) -> list[RankedRow]:
    """A page of the people named like ``name``, each with their rank on the
    whole (visible) board: one COUNT per distinct total shown."""
    page = _standings(_matching(visible, name).order_by(*BOARD_ORDER)[offset : offset + limit])
    higher: dict[int, int] = {}
    for standing in page:
        if standing.steps not in higher:
            higher[standing.steps] = visible.filter(total__gt=standing.steps).count()
    return [RankedRow(rank=1 + higher[s.steps], pk=s.pk, steps=s.steps) for s in page]


@reading_from_replica()  # seconds of replica lag are fine for a board
def _from_sql(
    key: BoardKey, audience: Audience, *, offset: int, limit: int, name: str = ""
) -> tuple[list[RankedRow], MyPlace | None]:
    visible = board_totals(key, _visible(audience))
    if audience.among is not None:  # a handful of people: rank them all in Python
        ranked, me = index.rank_standings(
            _standings(visible.order_by(*BOARD_ORDER)), me_pk=audience.me_pk, offset=0, limit=len(audience.among)
        )
        if name:
            wanted = set(_matching(visible, name).values_list("user_id", flat=True))
            ranked = [row for row in ranked if row.pk in wanted]
        return ranked[offset : offset + limit], me
    if name:
        rows = _ranked_matches(visible, name, offset=offset, limit=limit)
        return rows, _my_place(key, audience, visible)
    page = _standings(visible.order_by(*BOARD_ORDER)[offset : offset + limit])
    rows = []
    if page:
        first_rank = 1 if offset == 0 else 1 + visible.filter(total__gt=page[0].steps).count()
        rows = index.rank_page(page, first_rank=first_rank, first_position=offset)
    return rows, _my_place(key, audience, visible)


def _my_place(key: BoardKey, audience: Audience, visible: QuerySet) -> MyPlace | None:
    me = None
    if audience.me_pk is not None:
        mine = list(board_totals(key, Q(user_id=audience.me_pk)).values_list("total", "last")[:1])
        if mine:
            ((total, last),) = mine
            higher = visible.filter(total__gt=total).count()
            before_me = (
                Q(total__gt=total)
                | Q(total=total, last__lt=last)
                | Q(total=total, last=last, user_id__lt=audience.me_pk)
            )
            nearest_first = visible.filter(before_me).order_by("total", "-last", "-user_id")
            above = nearest_first.values_list("total", flat=True).first()
            me = MyPlace(rank=1 + higher, steps=total, steps_to_pass=None if above is None else above - total + 1)
    return me


# --- Streaming for rebuilds -------------------------------------------------------

StreamRow = tuple[int, int, datetime, bool]  # user pk, total, reached (aware UTC), public


def board_size(key: BoardKey) -> int:
    """How many users a rebuild of ``key`` writes (for its progress bar)."""
    if key.days == 1:
        return DayTotal.objects.filter(day=key.start, steps__gt=0).count()
    return board_totals(key).count()


def stream_board_totals(key: BoardKey, *, batch: int = 10_000) -> Iterator[list[StreamRow]]:
    """Every user's total on the board, in batches, from one streaming query
    (one consistent read, bounded memory, no OFFSET paging)."""
    days, users = DayTotal._meta.db_table, User._meta.db_table
    public = f"CASE WHEN u.visibility = '{Visibility.PUBLIC.value}' THEN 1 ELSE 0 END"
    if key.days == 1:
        sql = (
            f"SELECT d.user_id, d.steps, d.reached_at, {public} FROM {days} d "  # noqa: S608 - no user input
            f"JOIN {users} u ON u.id = d.user_id WHERE d.day = %s AND d.steps > 0"
        )
        params: list[object] = [key.start]
    else:
        sql = (
            f"SELECT d.user_id, SUM(d.steps), MAX(d.reached_at), MAX({public}) FROM {days} d "  # noqa: S608
            f"JOIN {users} u ON u.id = d.user_id WHERE d.day BETWEEN %s AND %s "
            "GROUP BY d.user_id HAVING SUM(d.steps) > 0"
        )
        params = [key.start, key.end]
    with _streaming_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(batch):
            yield [(pk, int(total), _aware(reached), bool(public)) for pk, total, reached, public in chunk]


def _aware(value: datetime | str) -> datetime:
    # Raw rows skip Django's converters: MySQL gives naive UTC, SQLite text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _streaming_cursor:  # noqa: N801 - used like a function
    """A cursor that streams rows from the server instead of buffering the
    whole result (mysqlclient's default cursor loads everything first)."""

    def __enter__(self):
        connection.ensure_connection()
        if connection.vendor == "mysql":
            from MySQLdb.cursors import SSCursor

            self.cursor = connection.connection.cursor(SSCursor)
        else:  # Django's own cursor: it streams here, and speaks %s
            self.cursor = connection.cursor()
        return self.cursor

    def __exit__(self, *exc_info) -> None:
        self.cursor.close()


def default_date(viewer: User | None, now: datetime) -> date:
    """The viewer's local today (UTC's for signed-out visitors)."""
    zone = viewer.zone if viewer is not None else UTC
    return now.astimezone(zone).date()


# --- Movement since yesterday ------------------------------------------------------

MOVEMENT_WINDOW = 150  # yesterday's places looked up around today's page, each side


def yesterdays_board(key: BoardKey) -> BoardKey | None:
    """The board a rank moved from: yesterday's day, or the seven days ending
    yesterday. Weeks and months have no board "as of yesterday" (their total
    through yesterday is not a board anyone keeps), so they show no movement."""
    if key.period in (Period.DAY, Period.ROLLING7):
        previous = key.end - timedelta(days=1)
        return BoardKey.of(key.period, previous) if previous >= EARLIEST_DATE else None
    return None


@dataclass(frozen=True)
class PreviousRanks:
    ranks: dict[int, int]  # user pk -> rank on yesterday's board
    complete: bool  # the window reached the end of yesterday's board: whoever is missing was not on it


def previous_ranks(
    *, viewer: User | None, key: BoardKey, scope: Scope, offset: int, limit: int, now: datetime
) -> PreviousRanks | None:
    """Each user's rank on yesterday's board, as this viewer saw it, for the
    users around today's page (a window of ``MOVEMENT_WINDOW`` places either
    side: one more board read, as cheap as the page's own, index or SQL).
    None: no movement for this period."""
    previous = yesterdays_board(key)
    if previous is None:
        return None
    start = max(0, offset - MOVEMENT_WINDOW)
    wanted = offset - start + limit + MOVEMENT_WINDOW
    board = leaderboard(viewer=viewer, key=previous, scope=scope, offset=start, limit=wanted, now=now)
    ranks = {entry.pk: entry.rank for entry in board.entries}
    return PreviousRanks(ranks=ranks, complete=start == 0 and len(board.entries) < wanted)


@dataclass(frozen=True)
class MyDay:
    day: date
    steps: int
    goal: int


def my_day(viewer: User, now: datetime) -> MyDay:
    """The viewer's steps today (their local today) and the goal that day has."""
    today = default_date(viewer, now)
    steps = DayTotal.objects.filter(user=viewer, day=today).values_list("steps", flat=True).first() or 0
    return MyDay(day=today, steps=steps, goal=day_settings(viewer).goal_on(today))
