"""Staff tools for challenges: look, export results for organisers, re-finalise
(through ``services.refinalise``, audited). Frozen results are read-only."""

from __future__ import annotations

import csv
from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from infrastructure.api.errors import DomainError

from . import services
from .models import Challenge, Finalisation, Group, Membership, Participant, Result, Team

RESULT_COLUMNS = ["challenge_id", "challenge", "scope", "rank", "position", "name", "team", "score", "reached_at"]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs cells that start like a formula; names are user input.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "visibility", "invite_code", "created_by", "created_at")
    list_filter = ("visibility",)
    search_fields = ("name", "invite_code")
    raw_id_fields = ("created_by",)
    inlines = [MembershipInline]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "starts_on", "ends_on", "group", "finalised_at")
    list_filter = ("kind", "finalised_at")
    list_select_related = ("group",)
    search_fields = ("name",)
    raw_id_fields = ("group", "created_by", "opponent")
    readonly_fields = ("finalised_at", "summary", "created_at")
    date_hierarchy = "starts_on"
    actions = ["refinalise", "export_results"]

    @admin.action(description=_("Re-finalise: freeze the results again from today's daily totals (audited)"))
    def refinalise(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        now, done = timezone.now(), 0
        for challenge in queryset:
            try:
                services.refinalise(staff=cast(User, request.user), challenge=challenge, reason="admin action", now=now)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{challenge}: {error.message}", messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext("Re-finalised %(count)d challenge.", "Re-finalised %(count)d challenges.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Export the final results as CSV"))
    def export_results(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="challenge-results.csv"'
        writer = csv.writer(response)
        writer.writerow(RESULT_COLUMNS)
        rows = Result.objects.filter(challenge__in=queryset).select_related("challenge", "user")
        for row in rows.order_by("challenge_id", "scope", "position"):
            writer.writerow(
                _cell(value)
                for value in (
                    row.challenge_id, row.challenge.name, row.scope, row.rank, row.position, row.display_name,
                    row.team_name, row.score, row.reached_at,
                )
            )  # fmt: skip
        return response


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "challenge", "created_at")
    list_select_related = ("challenge",)
    search_fields = ("name", "challenge__name")
    raw_id_fields = ("challenge", "created_by")


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("user", "challenge", "team", "joined_at")
    list_select_related = ("user", "challenge", "team")
    search_fields = ("user__email", "=user__uuid", "challenge__name")
    raw_id_fields = ("user", "challenge", "team")


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ("challenge", "scope", "rank", "display_name", "team_name", "score", "reached_at")
    list_filter = ("scope",)
    list_select_related = ("challenge", "user")
    search_fields = ("challenge__name", "name")


@admin.register(Finalisation)
class FinalisationAdmin(ReadOnlyAdmin):
    list_display = ("challenge", "trigger", "by", "reason", "rows", "at")
    list_filter = ("trigger",)
    list_select_related = ("challenge", "by")
