from django.urls import path

from . import api, devices_api, friends_api

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
    path("friends/", friends_api.FriendListView.as_view(), name="friends"),
    path("friends/requests", friends_api.FriendRequestListView.as_view(), name="friend-requests"),
    path("friends/requests/<uuid:user_id>", friends_api.FriendRequestCancelView.as_view(), name="friend-request"),
    path(
        "friends/requests/<uuid:user_id>/accept",
        friends_api.FriendRequestAcceptView.as_view(),
        name="friend-request-accept",
    ),
    path(
        "friends/requests/<uuid:user_id>/decline",
        friends_api.FriendRequestDeclineView.as_view(),
        name="friend-request-decline",
    ),
    path("friends/<uuid:user_id>", friends_api.FriendDetailView.as_view(), name="friend"),
]
