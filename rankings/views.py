from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def leaderboard_page(request: HttpRequest) -> HttpResponse:
    # Placeholder until the rankings work lands: the page shell the live board will fill.
    return render(request, "rankings/leaderboard.html", {"entries": []})
