"""The personal page: today's ring, the last 30 days, streaks and totals,
drawn on the server (``steps.personal_chart``) in the user's local days."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User

from . import selectors
from .personal_chart import day_chart, progress_ring


@login_required
def personal_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required let only a signed-in user through
    now = timezone.now()
    summary = selectors.step_summary(user=user, now=now)
    history = selectors.day_history(user=user, start=None, end=None, now=now)
    context = {
        "summary": summary,
        "ring": progress_ring(steps=summary.today_steps, goal=summary.goal),
        "chart": day_chart(history.days),
        "days": list(reversed(history.days)),  # the table: newest first
        "me_id": str(user.uuid),
    }
    return render(request, "steps/personal.html", context)
