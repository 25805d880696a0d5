from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from infrastructure import health
from infrastructure.api import errors

api_v1 = [
    path("", include("accounts.urls")),
    path("steps/", include("steps.urls")),
    path("", include("rankings.api_urls")),
    path("", include("imports.urls")),
    path("", include("challenges.urls")),
]

urlpatterns = [
    path("", include("rankings.urls")),
    path("", include("challenges.page_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", never_cache(ExportToDjangoView), name="metrics"),
    path("", include("accounts.page_urls")),
    path("", include("steps.page_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return errors.handler404_json(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return errors.handler500_json(request)
    return defaults.server_error(request)
