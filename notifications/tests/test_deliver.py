"""Delivering one outbox row through the real firebase-admin code, FCM faked at HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from accounts.models import Device
from notifications import delivery
from notifications.delivery import MAX_ATTEMPTS, deliver_notification
from notifications.models import Status

from . import fake_fcm
from .builders import add_device, owed_push

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_push_goes_to_every_active_device_and_the_message_ids_are_kept(fcm):
    notification = owed_push(now=NOW, steps=12_345)
    phone = add_device(notification.user, now=NOW, token="phone")
    tablet = add_device(notification.user, now=NOW, token="tablet")
    old = add_device(notification.user, now=NOW, token="old-phone")
    Device.objects.filter(pk=old.pk).update(is_active=False)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.SENT
    assert sorted(message["token"] for message in fcm.delivered) == ["phone", "tablet"]
    message = fcm.delivered_to("phone")[0]
    assert message["data"] == {"kind": "goal_reached", "day": "2026-11-25", "steps": "12345", "goal": "10000"}
    assert message["notification"]["title"] == "Daily goal reached!"
    assert message["android"]["collapse_key"] == "goal_reached-2026-11-25"
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.sent_at == NOW
    assert notification.attempts == 1
    assert notification.last_error == ""
    assert set(notification.message_ids) == {str(phone.uuid), str(tablet.uuid)}
    assert all(mid.startswith(f"projects/{fake_fcm.PROJECT_ID}/messages/") for mid in notification.message_ids.values())


def test_a_sent_row_is_not_sent_again(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    deliver_notification(notification_id=notification.pk, now=NOW)

    again = deliver_notification(notification_id=notification.pk, now=NOW + timedelta(hours=1))

    assert again.claimed is False
    assert len(fcm.calls) == 1


@pytest.mark.parametrize(
    "error", [fake_fcm.UNREGISTERED, fake_fcm.INVALID_ARGUMENT, fake_fcm.SENDER_ID_MISMATCH], ids=lambda e: e.error_code
)
def test_a_token_fcm_refuses_for_good_is_deactivated_and_the_others_still_get_the_push(fcm, error):
    notification = owed_push(now=NOW)
    gone = add_device(notification.user, now=NOW, token="uninstalled")
    kept = add_device(notification.user, now=NOW, token="phone")
    fcm.fail("uninstalled", error)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.SENT
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.is_active, kept.is_active) == (False, True)
    assert gone.deactivated_reason.startswith("fcm: ")
    assert len(fcm.calls_to("uninstalled")) == 1  # never retried
    notification.refresh_from_db()
    assert list(notification.message_ids) == [str(kept.uuid)]
    assert str(gone.uuid) in notification.last_error


def test_when_every_token_is_gone_the_row_fails_and_no_retry_is_planned(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="uninstalled")
    fcm.fail("uninstalled", fake_fcm.UNREGISTERED)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert (report.status, report.retry_at) == (Status.FAILED, None)
    notification.refresh_from_db()
    assert "UnregisteredError" in notification.last_error


def test_a_steady_503_is_retried_later_with_backoff_and_then_delivered_once(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    # firebase-admin itself retries a 503 four times: five calls make one failed attempt.
    fcm.fail("phone", *[fake_fcm.UNAVAILABLE] * 5)

    first = deliver_notification(notification_id=notification.pk, now=NOW)

    assert len(fcm.calls_to("phone")) == 5
    assert (first.status, first.retry_at) == (Status.PENDING, NOW + timedelta(minutes=1))
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.PENDING, 1)
    assert notification.next_attempt_at == NOW + timedelta(minutes=1)
    assert "UnavailableError" in notification.last_error
    # Not due yet: an early task changes nothing.
    assert deliver_notification(notification_id=notification.pk, now=NOW + timedelta(seconds=30)).claimed is False

    second = deliver_notification(notification_id=notification.pk, now=NOW + timedelta(minutes=1))

    assert second.status == Status.SENT
    assert len(fcm.calls_to("phone")) == 6
    assert len(fcm.delivered_to("phone")) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (Status.SENT, 2, "")


def test_a_503_answered_by_firebase_admins_own_retry_needs_no_retry_of_ours(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    fcm.fail("phone", fake_fcm.UNAVAILABLE)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.SENT
    assert len(fcm.calls_to("phone")) == 2
    assert len(fcm.delivered_to("phone")) == 1


@pytest.mark.parametrize("error", [fake_fcm.QUOTA_EXCEEDED, fake_fcm.INTERNAL], ids=lambda e: e.error_code)
def test_quota_and_internal_errors_are_transient(fcm, error):
    notification = owed_push(now=NOW)
    device = add_device(notification.user, now=NOW, token="phone")
    fcm.fail("phone", *[error] * 5)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.PENDING
    device.refresh_from_db()
    assert device.is_active is True


def test_a_retry_goes_only_to_the_devices_still_owed(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    add_device(notification.user, now=NOW, token="watch")
    fcm.fail("watch", *[fake_fcm.QUOTA_EXCEEDED])

    deliver_notification(notification_id=notification.pk, now=NOW)
    report = deliver_notification(notification_id=notification.pk, now=NOW + timedelta(minutes=1))

    assert report.status == Status.SENT
    assert len(fcm.delivered_to("phone")) == 1
    assert len(fcm.delivered_to("watch")) == 1
    assert len(fcm.calls_to("watch")) == 2


def test_backoff_doubles_up_to_a_limit_then_the_row_fails(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    fcm.fail("phone", *[fake_fcm.QUOTA_EXCEEDED] * MAX_ATTEMPTS)

    now, waits = NOW, []
    for _ in range(MAX_ATTEMPTS):
        report = deliver_notification(notification_id=notification.pk, now=now)
        assert report.claimed
        if report.retry_at:
            waits.append(report.retry_at - now)
            now = report.retry_at

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert report.status == Status.FAILED
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert "QuotaExceededError" in notification.last_error
    assert deliver_notification(notification_id=notification.pk, now=now + timedelta(hours=1)).claimed is False
    assert delivery.backoff(attempts=20) == delivery.BACKOFF_MAX


def test_when_google_refuses_the_service_account_the_push_is_retried_later(fcm):
    # (A 503 here would do the same after google-auth's own retries, which sleep for seconds.)
    fcm.rsps.replace(fake_fcm.responses.POST, fake_fcm.TOKEN_URL, status=400, json={"error": "invalid_grant"})
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.PENDING
    assert fcm.calls == []
    notification.refresh_from_db()
    assert "invalid_grant" in notification.last_error


def test_without_credentials_the_push_is_logged_and_the_row_marked_sent(no_fcm_credentials, caplog):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone-token-1234567890", locale="ko-KR")

    with caplog.at_level("INFO", logger="notifications.fcm"):
        report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.SENT
    assert "일일 목표 달성!" in caplog.text
    assert "phone-token-" in caplog.text
    assert len(no_fcm_credentials.calls) == 0
    notification.refresh_from_db()
    assert list(notification.message_ids.values()) == ["logged"]


def test_a_user_without_devices_is_skipped(fcm):
    notification = owed_push(now=NOW)

    report = deliver_notification(notification_id=notification.pk, now=NOW)

    assert report.status == Status.SKIPPED
    assert fcm.calls == []


def test_sent_and_failed_pushes_are_counted_for_the_alerts(fcm):
    notification = owed_push(now=NOW)
    add_device(notification.user, now=NOW, token="phone")
    add_device(notification.user, now=NOW, token="uninstalled")
    fcm.fail("uninstalled", fake_fcm.UNREGISTERED)
    sent_before = REGISTRY.get_sample_value("pedometer_notifications_sent_total") or 0
    failed_before = REGISTRY.get_sample_value("pedometer_notifications_failed_total") or 0

    deliver_notification(notification_id=notification.pk, now=NOW)

    assert REGISTRY.get_sample_value("pedometer_notifications_sent_total") == sent_before + 1
    assert REGISTRY.get_sample_value("pedometer_notifications_failed_total") == failed_before + 1
