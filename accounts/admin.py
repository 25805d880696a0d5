from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm

from pedometer_site.replica import ReplicaChangelistMixin

from .models import User


class UserCreationByEmailForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


@admin.register(User)
class UserAdmin(ReplicaChangelistMixin, BaseUserAdmin):
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
