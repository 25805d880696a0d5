"""Import endpoints: stream the upload to disk, call a service, render.

The upload never sits in memory: the only upload handler here writes it to
a temporary file as it arrives, and gives up (413) the moment it passes the
per-upload limit, before the rest is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.requests import SignedInRequest
from infrastructure.api.errors import InvalidInputError
from infrastructure.api.throttling import RateFromSettings

from . import selectors, services
from .export import export_zip
from .models import ImportJob

MULTIPART_OVERHEAD = 64 << 10


class ImportThrottle(RateFromSettings, UserRateThrottle):
    scope = "import_user"


class _LimitedTemporaryUpload(TemporaryFileUploadHandler):
    """Django's temporary-file handler with the per-upload limit enforced as
    bytes arrive (a client may send no Content-Length, or a false one)."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise services.UploadTooLargeError(services.upload_too_large_message())
        return super().receive_data_chunk(raw_data, start)


# --- Input / output ------------------------------------------------------------------


class UploadInput(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            "An export: Apple Health (export.zip or export.xml), Google Takeout (Fit), Fitbit (Takeout), "
            "Samsung Health (pedometer_step_count CSV), or ours (GET me/export); a zip or the bare file."
        )
    )


class ImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    format = serializers.CharField(help_text="apple_health, google_fit, fitbit, samsung_health or pedometer.")
    sources = serializers.ListField(child=serializers.CharField(), help_text="e.g. apple:Apple Watch, fitbit.")
    error = serializers.SerializerMethodField(help_text="Why it failed, naming the file and line; null otherwise.")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "format",
            "file_name",
            "bytes_read",
            "bytes_total",
            "records_read",
            "records_skipped",
            "days_imported",
            "days_changed",
            "sources",
            "first_day",
            "last_day",
            "error",
            "created_at",
            "finished_at",
        ]

    def get_error(self, job: ImportJob) -> str | None:
        return job.error or None


class ImportListResponse(serializers.Serializer):
    imports = ImportJobSerializer(many=True, help_text="Yours, newest first (the last 100).")


def _render(job: ImportJob) -> dict:
    return ImportJobSerializer(job).data


# --- Views -----------------------------------------------------------------------------


class ImportListView(APIView):
    parser_classes = [MultiPartParser]

    def get_throttles(self):
        return [ImportThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": UploadInput},
        responses={202: ImportJobSerializer, 400: OpenApiResponse(description="Not an export we can read.")},
        tags=["imports"],
        description=(
            "Uploads another app's export (multipart, field `file`), streamed to disk; the job is read by a "
            "worker. Poll GET imports/<id>. Max-wins per (day|hour, source): importing the same file twice "
            "changes nothing. Limits: IMPORT_MAX_UPLOAD_BYTES per upload (413), IMPORT_MAX_BYTES_PER_DAY a day (429)."
        ),
    )
    def post(self, request: SignedInRequest) -> Response:
        now = timezone.now()
        # Before a byte is stored, when the client tells the size (less what multipart wraps around the file);
        # the file's own size is checked again as it arrives and once it is whole.
        told = str(request.META.get("CONTENT_LENGTH") or "0")
        size = max(0, int(told) - MULTIPART_OVERHEAD) if told.isdigit() else 0
        services.check_quota(user=request.user, size=size, now=now)
        request._request.upload_handlers = [_LimitedTemporaryUpload(request._request)]
        files, fields = request.FILES, request.POST
        unknown = sorted((set(files) | set(fields)) - {"file"})
        if unknown:
            raise InvalidInputError(_("Invalid input."), fields={name: [_("Unknown field.")] for name in unknown})
        upload = files.get("file")
        if upload is None or len(files.getlist("file")) != 1:
            raise InvalidInputError(
                _("Invalid input in: %(fields)s.") % {"fields": "file"},
                fields={"file": [_("Send one file in the field `file`.")]},
            )
        path = Path(upload.temporary_file_path())
        try:
            job = services.create_import(user=request.user, upload=path, file_name=upload.name or "", now=now)
        finally:
            upload.close()
        return Response(_render(job), status=202)

    @extend_schema(operation_id="imports_list", responses={200: ImportListResponse}, tags=["imports"])
    def get(self, request: SignedInRequest) -> Response:
        jobs = selectors.imports_of(user=request.user)[:100]
        return Response({"imports": [_render(job) for job in jobs]})


class ImportDetailView(APIView):
    @extend_schema(operation_id="imports_retrieve", responses={200: ImportJobSerializer}, tags=["imports"])
    def get(self, request: SignedInRequest, job_id: UUID) -> Response:
        return Response(_render(selectors.import_of(user=request.user, job_id=job_id)))

    @extend_schema(
        operation_id="imports_cancel",
        responses={200: ImportJobSerializer, 409: OpenApiResponse(description="It has already finished.")},
        tags=["imports"],
        description="Cancels a queued or running import: a running one stops at its next batch of days.",
    )
    def delete(self, request: SignedInRequest, job_id: UUID) -> Response:
        job = services.cancel_import(user=request.user, job_id=job_id, now=timezone.now())
        return Response(_render(job))


async def _one_at_a_time(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The export's chunks for an ASGI server, each read in the sync thread
    (where its database connection lives) as the client takes the last one."""
    take = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    while (chunk := await take()) is not None:
        yield chunk


class ExportThrottle(RateFromSettings, UserRateThrottle):
    scope = "export_user"


class ExportView(APIView):
    throttle_classes = [ExportThrottle]

    @extend_schema(
        operation_id="me_export",
        responses={(200, "application/zip"): OpenApiResponse(description="A zip: see its README.txt.")},
        tags=["imports"],
        description=(
            "Everything we hold about you, as a zip streamed as it is written: profile.json, days.csv "
            "(date, total, one column per source), hours.csv, friends.json, groups_and_challenges.json, "
            "devices.json (no push tokens), notifications.json and a README.txt of the columns. "
            "POST it to imports to move your history to another account. At most THROTTLE_EXPORT_USER (3 a day)."
        ),
    )
    def get(self, request: SignedInRequest) -> StreamingHttpResponse:
        now = timezone.now()
        chunks = export_zip(user=request.user, now=now)
        # Under ASGI Django would read a plain iterator whole before sending a byte.
        streamed = _one_at_a_time(chunks) if isinstance(request._request, ASGIRequest) else chunks
        response = StreamingHttpResponse(streamed, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="pedometer-export-{now:%Y-%m-%d}.zip"'
        response["Cache-Control"] = "no-store"
        return response
