from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from infrastructure.db.replica import ReplicaChangelistMixin

from . import services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReplicaChangelistMixin, admin.ModelAdmin):
    list_display = ("user", "day", "kind", "status", "attempts", "steps", "goal", "created_at", "sent_at")
    list_filter = ("status", "kind", "day")
    list_select_related = ("user",)
    search_fields = ("user__email", "=user__uuid", "user__display_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    actions = ["resend"]
    readonly_fields = (
        "user",
        "day",
        "kind",
        "status",
        "steps",
        "goal",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "last_error",
        "message_ids",
        "created_at",
        "sent_at",
    )
    exclude = ("lease_token",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the steps that earn them

    @admin.action(description=_("Send the selected notifications again"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        queued = services.resend_notifications(
            notification_ids=queryset.values_list("pk", flat=True), now=timezone.now()
        )
        skipped = queryset.count() - queued
        self.message_user(
            request,
            ngettext(
                "Queued %(count)d notification to send again.", "Queued %(count)d notifications to send again.", queued
            )
            % {"count": queued},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("%(count)d are being sent right now and were left alone.") % {"count": skipped},
                messages.WARNING,
            )
