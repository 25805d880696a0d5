"""Staff pages: the outbox filtered by status and kind, and sending again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification, Status
from pedometer_site.tests.testing import make_user

from .builders import add_device, owed_push

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(password=None, is_staff=True, is_superuser=True))
    return client


def test_the_outbox_filters_by_status_and_kind(staff_client):
    now = timezone.now()
    sent = owed_push(now=now, display_name="Sent Sam")
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENT)
    owed_push(now=now, display_name="Pending Pat")

    page = staff_client.get(
        "/admin/notifications/notification/", {"status__exact": "pending", "kind__exact": "goal_reached"}
    )

    assert page.status_code == 200
    assert "Pending Pat" in page.text
    assert "Sent Sam" not in page.text


def test_resend_sends_the_selected_notifications_again(
    staff_client, fcm, inline_tasks, django_capture_on_commit_callbacks
):
    now = timezone.now() - timedelta(minutes=1)
    notification = owed_push(now=now)
    add_device(notification.user, now=now, token="phone")
    Notification.objects.filter(pk=notification.pk).update(status=Status.FAILED, attempts=6, last_error="quota")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/notifications/notification/",
            {"action": "resend", "_selected_action": [notification.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "Queued 1 notification to send again." in response.text
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (Status.SENT, 1, "")
    assert len(fcm.delivered_to("phone")) == 1


def test_resend_leaves_a_row_a_worker_is_sending_right_now_alone(staff_client, fcm, inline_tasks):
    now = timezone.now()
    notification = owed_push(now=now)
    Notification.objects.filter(pk=notification.pk).update(
        attempts=1, lease_token="busy", leased_until=now + timedelta(minutes=5)
    )

    response = staff_client.post(
        "/admin/notifications/notification/",
        {"action": "resend", "_selected_action": [notification.pk]},
        follow=True,
    )

    assert "1 are being sent right now and were left alone." in response.text
    notification.refresh_from_db()
    assert (notification.lease_token, notification.attempts) == ("busy", 1)
    assert fcm.calls == []


def test_a_notification_page_shows_what_was_sent(staff_client):
    notification = owed_push(now=timezone.now())
    page = staff_client.get(f"/admin/notifications/notification/{notification.pk}/change/")
    assert page.status_code == 200
    assert "10500" in page.text or "10,500" in page.text
