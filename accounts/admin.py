from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction

from rankings import services as rankings_services

from .models import User


class UserCreationByEmailForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationByEmailForm
    list_display = ("email", "display_name", "uuid", "timezone", "daily_goal", "visibility", "is_active", "is_staff")
    list_filter = ("is_staff", "is_active", "visibility", "timezone", "date_joined")
    search_fields = ("email", "display_name", "=uuid", "=firebase_uid")
    ordering = ("-date_joined",)
    readonly_fields = ("uuid", "firebase_uid", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("uuid", "email", "password", "firebase_uid")}),
        ("Profile", {"fields": ("display_name", "timezone", "daily_goal", "visibility")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "visibility" in form.changed_data:
            # Staff edits keep the leaderboard index in step, like the profile API does.
            transaction.on_commit(lambda: rankings_services.reindex_user(user=obj))

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            rankings_services.forget_user_on_commit(user=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for user in queryset:
                rankings_services.forget_user_on_commit(user=user)
            super().delete_queryset(request, queryset)
