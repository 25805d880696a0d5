"""The admin in Korean for staff who set it, or whose browser asks for it:
Django's own words and ours (actions, choices, help texts, messages)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tests.builders import owed_push
from pedometer_site.tests.testing import make_user


def staff(client, **fields):
    user = make_user(is_staff=True, is_superuser=True, **fields)
    client.force_login(user)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "header", "korean"),
    [("ko", None, True), ("ko", "en-US", True), ("", "ko-KR,ko;q=0.9", True), ("", None, False), ("en", "ko", False)],
    ids=["setting", "setting-beats-header", "header", "neither", "setting-en"],
)
def test_the_admin_speaks_the_staff_members_language(client, language, header, korean):
    staff(client, language=language)
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    page = client.get("/admin/", **headers).content.decode()
    assert ('lang="ko"' in page) is korean
    assert ("사이트 관리" in page) is korean  # Django's own "Site administration"
    assert ("Site administration" in page) is not korean


@pytest.mark.django_db
def test_our_actions_choices_and_help_texts_are_korean_too(client):
    staff(client, language="ko")
    push = owed_push(now=timezone.now())  # actions are offered on a list with rows
    notifications = client.get("/admin/notifications/notification/").content.decode()
    assert "선택한 알림 다시 보내기" in notifications  # our action
    assert "변경할 알림 선택" in notifications  # our model's name, in Django's sentence
    assert "상태" in notifications and "시도 횟수" in notifications  # our column headers (field names)
    assert "일일 목표 달성" in notifications  # a choice label (the kind filter)
    assert (
        "알림이 다루는 사용자의 현지 날짜예요."
        in client.get(f"/admin/notifications/notification/{push.pk}/change/").content.decode()
    )  # a help text
    user = make_user(visibility="friends")
    change = client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "친구만" in change  # the visibility choice
    assert "프로필" in change  # our fieldset


@pytest.mark.django_db
def test_an_admin_message_after_an_action_is_korean(client):
    staff(client, language="ko")
    notification = owed_push(now=timezone.now())
    Notification.objects.filter(pk=notification.pk).update(status="failed")
    response = client.post(
        "/admin/notifications/notification/",
        {"action": "resend", "_selected_action": [notification.pk]},
        follow=True,
    )
    assert "알림 1개를 다시 보내도록 대기열에 넣었어요." in response.content.decode()
