"""The leaderboard page: rendered on the server, then kept live by static/leaderboard.js.

Everything the page shows is in its query string (period, scope, date, page,
q), so every view of a board is a link: the tabs, the previous and next
boards, the pages and the search work without JavaScript and from the keyboard.
Bad input of any kind is a 400 page that says what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.models import User
from infrastructure.api.serializers import SupportedDateField

from . import selectors, services
from .api import NAME_QUERY_MAX, checked_board_date
from .periods import EARLIEST_DATE, BoardKey, Period
from .selectors import MAX_OFFSET, Entry, Scope

PAGE_ROWS = 100
LAST_PAGE = MAX_OFFSET // PAGE_ROWS + 1
TABS = [
    (Period.DAY, gettext_lazy("Today")),
    (Period.WEEK, gettext_lazy("This week")),
    (Period.MONTH, gettext_lazy("This month")),
    (Period.ROLLING7, gettext_lazy("Last 7 days")),
]
SCOPES = [(Scope.GLOBAL, gettext_lazy("Everyone")), (Scope.FRIENDS, gettext_lazy("Friends"))]
_PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


class BadBoardRequest(Exception):  # noqa: N818 - a 400 page, not a crash
    pass


@dataclass(frozen=True)
class BoardRequest:
    period: Period
    scope: Scope
    day: date | None
    page: int
    q: str

    def query(self, **changes: object) -> str:
        """This board's query string with ``changes`` (defaults left out, so links stay short)."""
        values: dict[str, object] = {
            "period": self.period.value,
            "scope": self.scope.value,
            "date": self.day,
            "page": self.page,
            "q": self.q,
        }
        values.update(changes)
        defaults = {"period": Period.DAY.value, "scope": Scope.GLOBAL.value, "date": None, "page": 1, "q": ""}
        kept = {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items()
            if value != defaults[name]
        }
        return "?" + urlencode(kept) if kept else "?"


def parse(request: HttpRequest) -> BoardRequest:
    params = request.GET
    period = params.get("period", Period.DAY.value)
    if period not in {p.value for p in Period}:
        raise BadBoardRequest(_("There is no “%(period)s” board. Pick one of the tabs above.") % {"period": period})
    scope = params.get("scope", Scope.GLOBAL.value)
    if scope not in {s.value for s in Scope}:
        raise BadBoardRequest(_("There is no “%(scope)s” view. Pick Everyone or Friends.") % {"scope": scope})
    day = None
    if params.get("date"):
        try:
            day = checked_board_date(SupportedDateField().run_validation(params["date"]))
        except serializers.ValidationError:
            raise BadBoardRequest(
                _("“%(date)s” is not a date with a board. Dates run from %(first)s to tomorrow.")
                % {"date": params["date"][:40], "first": EARLIEST_DATE.isoformat()}
            ) from None
    page_text = params.get("page", "1")
    if not _PAGE_NUMBER.fullmatch(page_text) or not 1 <= int(page_text) <= LAST_PAGE:
        raise BadBoardRequest(
            _("“%(page)s” is not a page of this board: pages run from 1 to %(last)s.")
            % {"page": page_text[:40], "last": LAST_PAGE}
        )
    q = params.get("q", "").strip()
    if len(q) > NAME_QUERY_MAX or "\x00" in q:
        raise BadBoardRequest(_("Search for at most %(max)s characters of a name.") % {"max": NAME_QUERY_MAX})
    return BoardRequest(period=Period(period), scope=Scope(scope), day=day, page=int(page_text), q=q)


def leaderboard_page(request: HttpRequest) -> HttpResponse:
    viewer = request.user if request.user.is_authenticated else None
    try:
        wanted = parse(request)
    except BadBoardRequest as exc:
        context = {"error": str(exc), "tabs": _tab_links(None), "scopes": []}
        return render(request, "rankings/leaderboard.html", context, status=400)
    if wanted.scope is Scope.FRIENDS and viewer is None:
        return redirect_to_login(request.get_full_path())
    return render(request, "rankings/leaderboard.html", board_context(request, viewer, wanted))


def _tab_links(wanted: BoardRequest | None) -> list[dict]:
    base = wanted or BoardRequest(Period.DAY, Scope.GLOBAL, None, 1, "")
    return [
        {"label": label, "href": base.query(period=tab.value, page=1), "current": bool(wanted and tab is wanted.period)}
        for tab, label in TABS
    ]


def board_context(request: HttpRequest, viewer: User | None, wanted: BoardRequest) -> dict[str, object]:
    now = timezone.now()
    today = selectors.default_date(viewer, now)
    key = BoardKey.of(wanted.period, wanted.day or today)
    offset = (wanted.page - 1) * PAGE_ROWS
    query: dict[str, Any] = {"viewer": viewer, "key": key, "scope": wanted.scope, "now": now}
    board = services.read_leaderboard(**query, limit=PAGE_ROWS, offset=offset, name=wanted.q)
    entries = board.entries
    leader = entries[0].steps if entries and offset == 0 and not wanted.q else _leader_steps(query)
    previous = None
    if not wanted.q:
        previous = selectors.previous_ranks(
            viewer=viewer, key=key, scope=wanted.scope, offset=offset, limit=PAGE_ROWS, now=now
        )
    scale = max([leader, *(entry.daily_goal * key.days for entry in entries), 1])
    me_id = str(viewer.uuid) if viewer else ""
    rows = [_row(entry, key, scale, previous, me_id) for entry in entries]
    me = board.me
    my_page = (me.rank - 1) // PAGE_ROWS + 1 if me and me.rank and me.rank <= MAX_OFFSET + PAGE_ROWS else None

    before, after = key.start - timedelta(days=1), key.end + timedelta(days=1)
    if key.period is Period.ROLLING7:  # a rolling window moves a day at a time
        before, after = key.end - timedelta(days=1), key.end + timedelta(days=1)
    live = not wanted.q and wanted.page == 1 and wanted.scope is Scope.GLOBAL
    context = {
        "tabs": _tab_links(wanted),
        "scopes": [
            {"label": label, "href": wanted.query(scope=scope.value, page=1), "current": scope is wanted.scope}
            for scope, label in SCOPES
        ],
        "wanted": wanted,
        "period": key.period.value,
        "scope": wanted.scope.value,
        "caption": _caption(key, today),
        "board": board,
        "key": key,
        "rows": rows,
        "me": me,
        "me_id": me_id,
        "page_rows": PAGE_ROWS,
        "offset": offset,
        "scale": scale,
        "leader": leader,
        "live_mode": "board" if live else "rows",
        "previous_href": wanted.query(date=before, page=1) if before >= EARLIEST_DATE else None,
        # Never into the future: the viewer's today is the last board with steps.
        "next_href": wanted.query(date=None if after >= today else after, page=1) if after <= today else None,
        "previous_page_href": wanted.query(page=wanted.page - 1) if wanted.page > 1 else None,
        "next_page_href": (
            wanted.query(page=wanted.page + 1) if len(entries) == PAGE_ROWS and wanted.page < LAST_PAGE else None
        ),
        "clear_search_href": wanted.query(q="", page=1),
        "my_row_href": (wanted.query(page=my_page, q="") + "#my-row") if my_page else None,
        "my_day": selectors.my_day(viewer, now) if viewer else None,
        "texts": _script_texts(),
        "sign_in_href": redirect_to_login(request.get_full_path())["Location"],
    }
    day = context["my_day"]
    if isinstance(day, selectors.MyDay):
        context["my_day_percent"] = min(100, round(100 * day.steps / day.goal)) if day.goal else 0
    return context


def _leader_steps(query: dict) -> int:
    top = selectors.leaderboard(**query, limit=1, offset=0)
    return top.entries[0].steps if top.entries else 0


def _row(entry: Entry, key: BoardKey, scale: int, previous: selectors.PreviousRanks | None, me_id: str) -> dict:
    goal = entry.daily_goal * key.days
    movement, moved = "", 0
    if previous is not None:
        before = previous.ranks.get(entry.pk)
        if before is not None:
            moved = before - entry.rank
            movement = "up" if moved > 0 else "down" if moved < 0 else "same"
        elif previous.complete:
            movement = "new"
    return {
        "entry": entry,
        "is_me": entry.user_id == me_id,
        "goal": goal,
        "bar": _percent(entry.steps, scale),
        "goal_at": _percent(goal, scale),
        "goal_percent": round(100 * entry.steps / goal) if goal else 0,
        "movement": movement,
        "moved": abs(moved),
        "yesterday": previous.ranks.get(entry.pk, "") if previous else "",
    }


def _percent(value: int, scale: int) -> str:
    # SVG lengths in a 0-100 viewBox, set by the server (no style attributes under the CSP).
    return f"{min(100.0, 100 * value / scale):.1f}" if scale else "0"


def _caption(key: BoardKey, today: date) -> str:
    current = key.start <= today <= key.end
    if key.period is Period.DAY:
        return _("Steps today") if current else _("Steps on %(day)s") % {"day": key.label}
    if key.period is Period.WEEK:
        return _("Steps this week") if current else _("Steps in week %(week)s") % {"week": key.label}
    if key.period is Period.MONTH:
        return _("Steps this month") if current else _("Steps in %(month)s") % {"month": key.label}
    if current:
        return _("Steps in the last 7 days")
    return _("Steps in the 7 days %(start)s to %(end)s") % {"start": key.start.isoformat(), "end": key.end.isoformat()}


def _script_texts() -> dict[str, str]:
    """What leaderboard.js says, in the page's language (the page passes it as JSON: no JS catalogue)."""
    return {
        "you": _("(you)"),
        "you_who": _("You"),
        "announce": _("%(who)s: rank %(rank)s, %(steps)s steps."),
        "my_place": _("You are #%(rank)s with %(steps)s steps"),
        "to_pass": _("; %(steps)s more to pass the person above you"),
        "end": _("."),
        "up": _("up %(n)s"),
        "down": _("down %(n)s"),
        "same": _("no change"),
        "new": _("new"),
        "goal_percent": _("%(percent)s%% of goal"),
        "my_day": _("%(steps)s of %(goal)s steps (%(percent)s%%)"),
    }
