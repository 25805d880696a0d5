"""Staff see a user's devices on the user's admin page."""

import pytest
from django.utils import timezone

from accounts.devices_services import device_register
from pedometer_site.tests.testing import make_user


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(password=None, is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_the_user_page_lists_the_users_devices(staff_client):
    user = make_user(password=None)
    now = timezone.now()
    device_register(user=user, token="korean-phone-token", platform="ios", locale="ko-KR", now=now)
    device_register(user=make_user(password=None), token="someone-elses-token", platform="android", now=now)

    page = staff_client.get(f"/admin/accounts/user/{user.pk}/change/")

    assert page.status_code == 200
    assert "korean-phone-token" in page.text
    assert "ko-KR" in page.text
    assert "someone-elses-token" not in page.text
