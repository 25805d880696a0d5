"""Staff tools for steps. Records are read-only here: the one change staff make,
a correction or a review, goes through ``steps.services`` like every other write."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from infrastructure.api.errors import DomainError

from .activity_chart import activity_chart
from .models import DEFAULT_SOURCE, DailySteps, StepCorrection
from .selectors import daily_activity
from .services import correct_daily_steps, review_flagged_days

CHART_DAYS = 30
NAMED_SOURCES = "__named__"
CSV_COLUMNS = [
    "user_id", "email", "display_name", "day", "source", "steps", "distance_m", "floors",
    "flagged", "reviewed_at", "updated_at",
]  # fmt: skip


def _staff(request: HttpRequest) -> User:
    """The admin serves signed-in staff only: ``request.user`` is one of ours."""
    assert isinstance(request.user, User)
    return request.user


class SourceFilter(admin.SimpleListFilter):
    """Device ids are unbounded, so the choices are coarse; any exact id works
    as ``?source=<id>`` (the search box matches ids exactly too)."""

    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(DEFAULT_SOURCE, _("default (no device id)")), (NAMED_SOURCES, _("named devices"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == NAMED_SOURCES:
            return queryset.exclude(source=DEFAULT_SOURCE)
        if value:
            return queryset.filter(source=value)
        return queryset


class CorrectionForm(forms.Form):
    steps = forms.IntegerField(min_value=0, help_text=_("The count this device's day should have."))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Kept in the audit trail."))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs cells that start like a formula; names are user input.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows staff may look at, never add, edit or delete in the plain forms:
    counts change through corrections, and corrections are an audit trail."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DailySteps)
class DailyStepsAdmin(ViewOnlyAdmin):
    list_display = ("day", "user", "source", "steps", "distance_m", "floors", "flagged", "updated_at")
    list_filter = ("flagged", "day", SourceFilter)
    date_hierarchy = "day"
    search_fields = ("user__email", "user__display_name", "=source")
    list_select_related = ("user",)
    raw_id_fields = ("user", "reviewed_by")
    ordering = ("-day", "user")
    actions = ["mark_reviewed"]
    change_list_template = "admin/steps/dailysteps/change_list.html"
    change_form_template = "admin/steps/dailysteps/change_form.html"

    def has_correct_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("steps.change_dailysteps")

    def get_urls(self):
        app, model = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("export.csv", self.admin_site.admin_view(self.export_csv), name=f"{app}_{model}_export"),
            path(
                "<path:object_id>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name=f"{app}_{model}_correct",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        today = timezone.now().date()
        chart = activity_chart(daily_activity(start=today - timedelta(days=CHART_DAYS - 1), end=today))
        export_url = reverse("admin:steps_dailysteps_export")
        if request.GET:
            export_url += "?" + request.GET.urlencode()
        context = {"activity_chart": chart, "export_url": export_url, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    @admin.action(description=_("Mark selected flagged days as reviewed"), permissions=["correct"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[DailySteps]) -> None:
        count = review_flagged_days(
            staff=_staff(request), ids=queryset.values_list("pk", flat=True), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d flagged day record marked as reviewed.",
                "%(count)d flagged day records marked as reviewed.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def export_csv(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """The rows the changelist shows under its current filters, search and
        ordering, every page of them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:steps_dailysteps_changelist"))
        rows = changelist.queryset.select_related("user")
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(CSV_COLUMNS)
            for row in rows.iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        _cell(value)
                        for value in (
                            row.user.uuid, row.user.email, row.user.display_name, row.day, row.source, row.steps,
                            row.distance_m, row.floors, row.flagged, row.reviewed_at, row.updated_at,
                        )
                    ]
                )  # fmt: skip

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="day-records-{timezone.now():%Y%m%d-%H%M}.csv"'
        return response

    def correct_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_correct_permission(request):
            raise PermissionDenied
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404(_("No such day record."))
        form = CorrectionForm(request.POST or None, initial={"steps": record.steps})
        if request.method == "POST" and form.is_valid():
            try:
                change = correct_daily_steps(
                    staff=_staff(request),
                    user=record.user,
                    day=record.day,
                    source=record.source,
                    steps=form.cleaned_data["steps"],
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
            except DomainError as error:
                for field, problems in (error.fields or {"__all__": [error.message]}).items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                self.log_change(request, record, f"Corrected steps to {form.cleaned_data['steps']}.")
                self.message_user(
                    request,
                    _("Corrected. The user's total for %(day)s is now %(total)s.")
                    % {"day": record.day, "total": f"{change.new_total:,}"},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:steps_dailysteps_change", args=[record.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct %(user)s on %(day)s (%(source)s)")
            % {"user": record.user, "day": record.day, "source": record.source},
            "opts": self.model._meta,
            "original": record,
            "form": form,
            "corrections": StepCorrection.objects.filter(
                user=record.user, day=record.day, source=record.source
            ).select_related("corrected_by"),
        }
        return TemplateResponse(request, "admin/steps/dailysteps/correct.html", context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        context = {"can_correct": self.has_correct_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)


@admin.register(StepCorrection)
class StepCorrectionAdmin(ViewOnlyAdmin):
    """The audit trail: read-only, written only by ``correct_daily_steps``."""

    list_display = ("created_at", "user", "day", "source", "old_steps", "new_steps", "corrected_by", "reason")
    list_filter = ("created_at", "day")
    date_hierarchy = "created_at"
    search_fields = ("user__email", "user__display_name", "corrected_by__email")
    list_select_related = ("user", "corrected_by")
    raw_id_fields = ("user", "corrected_by")
