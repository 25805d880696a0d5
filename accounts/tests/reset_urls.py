"""Just the reset confirmation URL Django's reset e-mail links to (the web pages add the real one)."""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
]
