from django.contrib import admin
from django.http import HttpRequest

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "format",
        "status",
        "file_name",
        "records_read",
        "days_imported",
        "days_changed",
        "first_day",
        "last_day",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "format")
    list_select_related = ("user",)
    search_fields = ("user__email", "=user__uuid", "user__display_name", "=uuid")
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from uploads and manage.py import_steps

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False
