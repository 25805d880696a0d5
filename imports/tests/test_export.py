"""GET /api/v1/me/export: everything we hold, as a zip that imports back."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from django.utils import timezone

from accounts.models import Device, Friendship, FriendshipStatus
from pedometer_site.tests.testing import client_for, make_user, signed_in
from steps.models import DailySteps, DayTotal
from steps.services import DaySample, HourSample, record_steps

from .test_import_api import apple_zip, walk_records

URL = "/api/v1/me/export"
NOW = timezone.now()


def export_of(user) -> zipfile.ZipFile:
    response = client_for(user).get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def history(user) -> list[tuple]:
    return sorted(DayTotal.objects.filter(user=user).values_list("day", "steps"))


@pytest.fixture
def walker(run_now):
    """Someone with a phone's syncs, an Apple import, a friend, a device and a pending request."""
    user = make_user(timezone="Asia/Kolkata", display_name="Walker")
    today = NOW.astimezone(user.zone).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=user.zone) + timedelta(hours=9)
    record_steps(
        user=user,
        days=[DaySample(today, 5000), DaySample(today - timedelta(days=2), 12000)],
        hours=[HourSample(start, 1200)],
        source="pixel-8",
        now=NOW,
    )
    run_now(client_for(user), apple_zip(walk_records(today - timedelta(days=400))))
    friend = make_user(display_name="Friend")
    Friendship.objects.create(from_user=user, to_user=friend, status=FriendshipStatus.ACCEPTED, accepted_at=NOW)
    Friendship.objects.create(from_user=make_user(display_name="Asker"), to_user=user)
    Device.objects.create(user=user, token="fcm-secret-token-123", platform="android")
    return user


@pytest.mark.django_db
def test_the_export_holds_every_file_and_no_push_token(walker):
    archive = export_of(walker)
    assert sorted(archive.namelist()) == [
        "README.txt",
        "days.csv",
        "devices.json",
        "friends.json",
        "groups_and_challenges.json",
        "hours.csv",
        "notifications.json",
        "profile.json",
    ]
    profile = json.loads(archive.read("profile.json"))
    assert profile["format"] == "pedometer-export"
    assert profile["user"]["display_name"] == "Walker"
    assert profile["user"]["timezone"] == "Asia/Kolkata"
    days = list(csv.reader(io.StringIO(archive.read("days.csv").decode())))
    assert days[0] == ["date", "total", "apple:Apple Watch", "apple:iPhone", "pixel-8"]
    assert len(days) == 4
    assert days[1][1:] == ["6000", "6000", "5000", ""]
    hours = list(csv.reader(io.StringIO(archive.read("hours.csv").decode())))
    assert hours[0] == ["start", "date", "source", "steps"]
    assert len(hours) == 1 + 4 + 1
    friends = json.loads(archive.read("friends.json"))
    assert sorted((f["display_name"], f["status"], f["direction"]) for f in friends) == [
        ("Asker", "pending", "received"),
        ("Friend", "accepted", "sent"),
    ]
    assert json.loads(archive.read("groups_and_challenges.json")) == []
    devices = json.loads(archive.read("devices.json"))
    assert [d["platform"] for d in devices] == ["android"]
    assert b"fcm-secret-token-123" not in b"".join(archive.read(name) for name in archive.namelist())
    assert "hours.csv" in archive.read("README.txt").decode()


@pytest.mark.django_db
def test_an_export_imported_into_another_account_gives_the_same_days(walker, run_now):
    archive = export_of(walker)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    other = make_user(timezone="Europe/Berlin")
    job = run_now(client_for(other), data.getvalue(), "pedometer-export.zip")
    assert job["status"] == "done", job
    assert job["format"] == "pedometer"
    assert history(other) == history(walker)
    per_source = sorted(DailySteps.objects.filter(user=walker).values_list("day", "source", "steps"))
    assert sorted(DailySteps.objects.filter(user=other).values_list("day", "source", "steps")) == per_source
    # And once more changes nothing.
    again = client_for(other).post(
        "/api/v1/imports", {"file": SimpleUploadedFile("again.zip", data.getvalue())}, format="multipart"
    )
    assert again.status_code == 202


@pytest.mark.django_db
def test_an_account_with_nothing_yet_exports_empty_files():
    archive = export_of(make_user())
    assert archive.read("days.csv") == b"date,total\n"
    assert archive.read("hours.csv") == b"start,date,source,steps\n"


@pytest.mark.django_db
def test_the_export_is_throttled_to_three_a_day():
    user = make_user()
    client = client_for(user)
    for _ in range(3):
        assert client.get(URL).status_code == 200
    refused = client.get(URL)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["retry_after"] > 3600


@pytest.mark.django_db
def test_signed_out_callers_get_no_export(api):
    assert api.get(URL).status_code == 401


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_export_is_sent_a_piece_at_a_time():
    _, token = await signed_in()
    response = await AsyncClient().get(URL, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json()
    assert response.is_async  # not read whole by Django before the first byte
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) > 3
    assert "days.csv" in zipfile.ZipFile(io.BytesIO(b"".join(chunks))).namelist()
