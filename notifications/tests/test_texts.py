"""The push is written in the user's language setting, else the device's language (Korean or
English), else English."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from notifications.delivery import deliver_notification
from notifications.texts import goal_reached_text, text_for

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


# Every kind, in both languages: the words pushes have always said.
EVERY_KIND = [
    ("goal_reached", {}, ("Daily goal reached!", "You walked 12,345 steps and reached your goal of 10,000."),
     ("일일 목표 달성!", "12,345걸음을 걸어 목표 10,000걸음을 달성했어요.")),
    ("streak_at_risk", {"streak": 3, "left": 4_000},
     ("Keep your streak going", "3 days in a row so far: 4,000 more steps today keeps it alive."),
     ("연속 기록을 지켜요", "3일 연속 달성 중이에요. 오늘 4,000걸음만 더 걸으면 이어가요.")),
    ("challenge_started", {"challenge": "Streak week"},
     ("Streak week starts today", "Your challenge is on: every step from today counts."),
     ("오늘 Streak week 시작", "챌린지가 시작됐어요. 오늘부터 모든 걸음이 기록돼요.")),
    ("challenge_overtaken", {"challenge": "Step-off", "rival": "Bo"},
     ("Overtaken in Step-off", "Bo just passed you. Time for a walk?"),
     ("Step-off에서 추월당했어요", "Bo님이 방금 앞질렀어요. 걸으러 가볼까요?")),
    ("challenge_final", {"challenge": "Sprint", "place": 2, "count": 12},
     ("Sprint: final results", "You finished 2nd of 12."),
     ("Sprint 최종 결과", "12명 중 2위로 마쳤어요.")),
    ("challenge_final", {"challenge": "Busan", "total": 8_100_000, "target": 7_500_000},
     ("Busan: final results", "Together you walked 8,100,000 steps of 7,500,000."),
     ("Busan 최종 결과", "함께 목표 7,500,000걸음 중 8,100,000걸음을 걸었어요.")),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "data", "english", "korean"), EVERY_KIND)
@pytest.mark.parametrize(
    ("locale", "setting", "want"),
    [
        ("ko-KR", "", "ko"),
        ("en-US", "", "en"),
        ("de-DE", "", "en"),
        ("en-US", "ko", "ko"),
        ("ko-KR", "en", "en"),
        ("", "", "en"),
    ],
    ids=["device-ko", "device-en", "device-other", "setting-ko-wins", "setting-en-wins", "nothing"],
)
def test_every_push_kind_in_the_users_setting_else_the_devices_language(
    kind, data, english, korean, locale, setting, want
):
    text = text_for(kind=kind, locale=locale, language=setting, steps=12_345, goal=10_000, data=data)
    assert (text.title, text.body) == (korean if want == "ko" else english)


def test_a_push_text_leaves_the_callers_language_alone():
    with translation.override("ko"):
        assert text_for(kind="goal_reached", locale="en", steps=1, goal=1).title == "Daily goal reached!"
        assert translation.get_language() == "ko"


@pytest.mark.django_db
def test_the_users_language_setting_wins_over_each_devices_locale(fcm):
    notification = owed_push(now=NOW, steps=12_345, language="ko")
    add_device(notification.user, now=NOW, token="english-tablet", locale="en-US")
    add_device(notification.user, now=NOW, token="korean-phone", locale="ko-KR")

    deliver_notification(notification_id=notification.pk, now=NOW)
    deliver_notification(notification_id=notification.pk, now=NOW)  # again: nothing is sent twice

    sent = [(m["token"], m["notification"]["title"]) for m in fcm.delivered]
    assert sorted(sent) == [("english-tablet", "일일 목표 달성!"), ("korean-phone", "일일 목표 달성!")]
