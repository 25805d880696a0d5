"""The request a view behind ``IsAuthenticated`` (the API's default) is given."""

from rest_framework.request import Request

from .models import User


class SignedInRequest(Request):
    """For type checking only: DRF builds plain ``Request`` objects, and past
    ``IsAuthenticated`` their ``user`` is always one of ours, never anonymous."""

    user: User
