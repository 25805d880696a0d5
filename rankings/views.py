"""The leaderboard page: rendered on the server, then kept live by static/leaderboard.js."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import selectors, services
from .periods import BoardKey, Period

PAGE_ROWS = 100
TABS = [(Period.DAY, "Today"), (Period.WEEK, "This week"), (Period.MONTH, "This month")]
CAPTIONS = {Period.DAY: "Steps today", Period.WEEK: "Steps this week", Period.MONTH: "Steps this month"}


def leaderboard_page(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", Period.DAY.value)
    if period not in {tab.value for tab, _ in TABS}:
        return render(request, "rankings/leaderboard.html", {"bad_period": period, "tabs": TABS}, status=400)
    period = Period(period)
    viewer = request.user if request.user.is_authenticated else None
    now = timezone.now()
    day = selectors.default_date(viewer, now)
    board = services.read_leaderboard(viewer=viewer, key=BoardKey.of(period, day), limit=PAGE_ROWS, now=now)
    context = {
        "tabs": TABS,
        "period": period.value,
        "caption": CAPTIONS[period],
        "board": board,
        "day": day,
        "entries": board.entries,
        "me": board.me,
        "me_id": str(viewer.uuid) if viewer else "",
        "page_rows": PAGE_ROWS,
    }
    return render(request, "rankings/leaderboard.html", context)
