import uuid

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from infrastructure.db.replica import ReplicaChangelistMixin

from .models import Device, User
from .services import user_delete, user_saved_by_staff


class DeviceInline(admin.TabularInline):
    model = Device
    extra = 0
    fields = ("uuid", "platform", "locale", "app_version", "is_active", "deactivated_reason", "last_seen_at", "token")
    readonly_fields = ("uuid", "platform", "locale", "app_version", "deactivated_reason", "last_seen_at", "token")
    ordering = ("-last_seen_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # devices register themselves through the API


class UserCreationByEmailForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


@admin.register(User)
class UserAdmin(ReplicaChangelistMixin, BaseUserAdmin):
    add_form = UserCreationByEmailForm
    inlines = [DeviceInline]
    list_display = ("email", "display_name", "uuid", "timezone", "daily_goal", "visibility", "is_active", "is_staff")
    list_filter = ("is_staff", "is_active", "visibility", "timezone", "date_joined")
    search_fields = ("email", "display_name", "=firebase_uid")
    search_help_text = _("Email, display name, public id (UUID) or Firebase uid.")
    ordering = ("-date_joined",)
    readonly_fields = ("uuid", "firebase_uid", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("uuid", "email", "password", "firebase_uid")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "timezone",
                    "daily_goal",
                    "visibility",
                    "language",
                )
            },
        ),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("date_joined", "last_login")}),
    )

    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a user being created has no devices yet

    def get_search_results(self, request, queryset, search_term):
        # A public id, however it is spelled (dashes, case), is one indexed
        # lookup; as a text search it would miss spellings and scan the table.
        try:
            public_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(uuid=public_id), False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            # Staff edits tell the other apps what the profile API and deletion tell them:
            # boards and live feeds follow a visibility change, and a deactivated account
            # leaves them (and its own sockets close) at once.
            user_saved_by_staff(
                user=obj,
                visibility_before=form.initial.get("visibility", obj.visibility),
                deactivated="is_active" in form.changed_data and not obj.is_active,
            )

    def delete_model(self, request, obj) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        # One at a time through the service, so each deletion cleans up what it owns.
        for user in queryset:
            user_delete(user=user)
