"""Challenge pages: the running ones, and one challenge's board (live via
static/challenge.js), its teams and, once final, its frozen results."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import board_services, selectors, services
from .models import Challenge, GroupVisibility, Kind, Scope, State

PAGE_ROWS = 100
TEAM_ROWS = 200
FINAL_ROWS = 20
SCORE_LABELS = {
    Kind.TOTAL: _("Steps"),
    Kind.GOAL_DAYS: _("Goal days"),
    Kind.STREAK: _("Longest streak (days)"),
    Kind.TEAM: _("Steps"),
    Kind.HEAD_TO_HEAD: _("Steps"),
    Kind.GROUP_TARGET: _("Steps"),
}


_OPEN = Q(group__isnull=True) | Q(group__visibility=GroupVisibility.PUBLIC)


def _open_challenges() -> list[Challenge]:
    """What a signed-out visitor may see: challenges outside any private group."""
    return list(Challenge.objects.filter(_OPEN, finalised_at__isnull=True).order_by("ends_on", "id")[:200])


def challenge_list_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    services.finalise_due(now=now, limit=20, trigger="read")
    if request.user.is_authenticated:
        running = selectors.challenges_in_state(user=request.user, state=State.RUNNING, now=now, offset=0, limit=200)
        grace = selectors.challenges_in_state(user=request.user, state=State.GRACE, now=now, offset=0, limit=50)
        final = selectors.recently_final(user=request.user, limit=FINAL_ROWS)
    else:
        rows = _open_challenges()
        running = [c for c in rows if c.state_at(now) == State.RUNNING]
        grace = [c for c in rows if c.state_at(now) == State.GRACE]
        final = list(Challenge.objects.filter(_OPEN, finalised_at__isnull=False).order_by("-finalised_at")[:FINAL_ROWS])
    context = {"running": running, "grace": grace, "final": final, "kinds": dict(Kind.choices)}
    return render(request, "challenges/list.html", context)


def challenge_page(request: HttpRequest, challenge_id: int) -> HttpResponse:
    now = timezone.now()
    if request.user.is_authenticated:
        challenge = selectors.visible_challenge(challenge_id=challenge_id, user=request.user)
    else:
        challenge = Challenge.objects.filter(_OPEN, pk=challenge_id).first()
    if challenge is None:
        raise Http404("No such challenge.")
    services.finalise_if_due(challenge=challenge, now=now)
    viewer = request.user if not isinstance(request.user, AnonymousUser) else None
    people = board_services.read_board(
        challenge=challenge, scope=Scope.PEOPLE, viewer=viewer, offset=0, limit=PAGE_ROWS
    )
    teams = board_services.read_board(challenge=challenge, scope=Scope.TEAMS, viewer=viewer, offset=0, limit=TEAM_ROWS)
    context = {
        "challenge": challenge,
        "state": challenge.state_at(now).value,
        "kind_label": Kind(challenge.kind).label,
        "score_label": SCORE_LABELS[Kind(challenge.kind)],
        "people": people.entries,
        "teams": teams.entries,
        "summary": people.summary,
        "final": people.final,
        "mine": people.me,
        "me_id": str(viewer.uuid) if viewer is not None else "",
        "live": viewer is not None and not people.final,
    }
    return render(request, "challenges/challenge.html", context)
