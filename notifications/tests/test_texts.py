"""The push is written in the device's language: Korean, English, or English for the rest."""

from datetime import UTC, datetime

import pytest

from notifications.delivery import deliver_notification
from notifications.texts import goal_reached_text

from .builders import add_device, owed_push

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "title", "body"),
    [
        ("ko-KR", "일일 목표 달성!", "12,345걸음을 걸어 목표 10,000걸음을 달성했어요."),
        ("ko_KR", "일일 목표 달성!", "12,345걸음을 걸어 목표 10,000걸음을 달성했어요."),
        ("KO", "일일 목표 달성!", "12,345걸음을 걸어 목표 10,000걸음을 달성했어요."),
        ("en-GB", "Daily goal reached!", "You walked 12,345 steps and reached your goal of 10,000."),
        ("fr-FR", "Daily goal reached!", "You walked 12,345 steps and reached your goal of 10,000."),
        ("kok", "Daily goal reached!", "You walked 12,345 steps and reached your goal of 10,000."),
    ],
)
def test_goal_text_in_the_locale_language(locale, title, body):
    text = goal_reached_text(locale=locale, steps=12_345, goal=10_000)
    assert (text.title, text.body) == (title, body)


@pytest.mark.django_db
def test_each_device_gets_the_push_in_its_own_language(fcm):
    notification = owed_push(now=NOW, steps=12_345)
    add_device(notification.user, now=NOW, token="korean-phone", locale="ko-KR")
    add_device(notification.user, now=NOW, token="english-tablet", locale="en-US")
    add_device(notification.user, now=NOW, token="german-watch", locale="de-DE")

    deliver_notification(notification_id=notification.pk, now=NOW)

    titles = {m["token"]: (m["notification"]["title"], m["notification"]["body"]) for m in fcm.delivered}
    assert titles["korean-phone"] == ("일일 목표 달성!", "12,345걸음을 걸어 목표 10,000걸음을 달성했어요.")
    assert titles["english-tablet"] == (
        "Daily goal reached!",
        "You walked 12,345 steps and reached your goal of 10,000.",
    )
    assert titles["german-watch"] == titles["english-tablet"]
