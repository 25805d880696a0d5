from django.urls import path

from . import api, devices_api

urlpatterns = [
    path("auth/register", api.RegisterView.as_view(), name="auth-register"),
    path("auth/login", api.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", api.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/firebase", api.FirebaseView.as_view(), name="auth-firebase"),
    path("me", api.MeView.as_view(), name="me"),
    path("me/password", api.PasswordChangeView.as_view(), name="me-password"),
    path("devices", devices_api.DeviceListView.as_view(), name="devices"),
    path("devices/<uuid:device_id>", devices_api.DeviceDetailView.as_view(), name="device-detail"),
]
