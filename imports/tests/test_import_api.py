"""POST/GET/DELETE /api/v1/imports: each format end to end, through the one write path."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone as dj_timezone

from imports.models import ImportJob
from imports.readers import KNOWN
from notifications.models import Notification
from pedometer_site.tests.testing import client_for, make_user
from rankings.api import SOURCE_HEADER
from rankings.tests.boards import rebuilt
from steps.models import DailySteps, DayTotal, HourlySteps
from steps.services import DaySample, record_steps

from . import builders

URL = "/api/v1/imports"
ZONE = ZoneInfo("Europe/Berlin")
TODAY = dj_timezone.now().astimezone(ZONE).date()
YESTERDAY = TODAY - timedelta(days=1)
LONG_AGO = TODAY - timedelta(days=3 * 365)


def local(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def offset_of(moment: datetime) -> timezone:
    return timezone(moment.utcoffset())


def apple_zip(records) -> bytes:
    return builders.zip_of({"apple_health_export/export.xml": builders.apple_xml(records)})


def walk_records(day, steps_watch=6000, steps_phone=5000):
    """A walk the watch and the phone both counted, 09:00 to 10:30 local."""
    start, end = local(day, 9), local(day, 10, 30)
    fixed = offset_of(start)
    return [
        ("Apple Watch", start.astimezone(fixed), end.astimezone(fixed), steps_watch),
        ("iPhone", start.astimezone(fixed), end.astimezone(fixed), steps_phone),
    ]


from .conftest import upload  # noqa: E402


def total(user, day) -> int:
    row = DayTotal.objects.filter(user=user, day=day).first()
    return row.steps if row else 0


def google_takeout(day) -> bytes:
    start = local(day, 9).astimezone(offset_of(local(day, 9)))
    iso = start.strftime("%H:%M:%S.000%z")
    iso = f"{iso[:-2]}:{iso[-2:]}"
    end = (start + timedelta(minutes=15)).strftime("%H:%M:%S.000%z")
    end = f"{end[:-2]}:{end[-2:]}"
    return builders.zip_of(
        {
            "Takeout/Fit/Daily activity metrics/Daily activity metrics.csv": builders.google_summary(
                [(day.isoformat(), 7000, 5000), (LONG_AGO.isoformat(), 3000, 2000)]
            ),
            f"Takeout/Fit/Daily activity metrics/{day.isoformat()}.csv": builders.google_day([(iso, end, 1500)]),
            "Takeout/Fit/All data/raw_com.google.step_count.delta_x.json": builders.google_points(
                [
                    (
                        "raw:com.google.step_count.delta:com.google.android.gms:Google:Pixel 7:a1:step_counter",
                        start,
                        start + timedelta(minutes=30),
                        6500,
                    )
                ]
            ),
        }
    )


def fitbit_takeout(day) -> bytes:
    rows = [(f"{day:%m/%d/%y} 09:{minute:02d}:00", "100") for minute in range(60)]
    return builders.zip_of(
        {f"Takeout/Fitbit/Global Export Data/steps-{day.isoformat()}.json": builders.fitbit_steps(rows)}
    )


def samsung_file(day) -> bytes:
    start = local(day, 9).astimezone(UTC)
    rows = [
        (
            (start + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S.000"),
            (start + timedelta(minutes=m + 1)).strftime("%Y-%m-%d %H:%M:%S.000"),
            90,
            "UTC+0100" if local(day, 9).utcoffset() == timedelta(hours=1) else "UTC+0200",
            "Mf1y0OWbMy",
        )
        for m in range(50)
    ]
    return builders.samsung_steps(rows)


FORMATS = {
    "apple_health": (
        lambda: apple_zip(walk_records(YESTERDAY) + walk_records(LONG_AGO)),
        "export.zip",
        6000,
        "apple:Apple Watch",
    ),
    "google_fit": (lambda: google_takeout(YESTERDAY), "takeout-20261130.zip", 7000, "google:fit"),
    "fitbit": (lambda: fitbit_takeout(YESTERDAY), "takeout.zip", 6000, "fitbit"),
    "samsung_health": (
        lambda: samsung_file(YESTERDAY),
        "com.samsung.shealth.tracker.pedometer_step_count.20261130101010.csv",
        4500,
        "samsung:Mf1y0OWbMy",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_imports_end_to_end_through_the_api(run_now, fmt):
    build, name, steps, source = FORMATS[fmt]
    user = make_user(timezone="Europe/Berlin")
    job = run_now(client_for(user), build(), name)
    assert job["status"] == "done", job
    assert job["format"] == fmt
    assert job["error"] is None
    assert source in job["sources"]
    assert job["bytes_read"] == job["bytes_total"] > 0
    assert job["last_day"] == YESTERDAY.isoformat()
    assert total(user, YESTERDAY) == steps
    assert DailySteps.objects.filter(user=user, day=YESTERDAY, source=source).exists()


@pytest.mark.django_db
def test_a_watch_and_a_phone_on_the_same_walk_count_once_and_the_whole_history_is_accepted(run_now):
    user = make_user(timezone="Europe/Berlin")
    job = run_now(client_for(user), apple_zip(walk_records(YESTERDAY) + walk_records(LONG_AGO)))
    assert (job["records_read"], job["days_imported"], job["days_changed"]) == (4, 2, 2)
    assert job["first_day"] == LONG_AGO.isoformat()
    assert sorted(job["sources"]) == ["apple:Apple Watch", "apple:iPhone"]
    assert total(user, YESTERDAY) == 6000  # the larger source, not 11,000
    assert total(user, LONG_AGO) == 6000
    # 09:00-10:30 split in proportion: two thirds in the first hour.
    hours = HourlySteps.objects.filter(user=user, day=YESTERDAY, source="apple:Apple Watch").order_by("hour_start")
    assert [row.steps for row in hours] == [4000, 2000]


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(run_now):
    user = make_user(timezone="Europe/Berlin")
    client = client_for(user)
    data = apple_zip(walk_records(YESTERDAY) + walk_records(LONG_AGO))
    run_now(client, data)
    rows = sorted(DailySteps.objects.filter(user=user).values_list("day", "source", "steps"))
    again = run_now(client, data)
    assert again["status"] == "done"
    assert again["days_imported"] == 2
    assert again["days_changed"] == 0
    assert sorted(DailySteps.objects.filter(user=user).values_list("day", "source", "steps")) == rows


@pytest.mark.django_db
def test_an_import_overlapping_what_the_phone_synced_takes_the_larger_count_never_the_sum(run_now):
    user = make_user(timezone="Europe/Berlin")
    record_steps(user=user, days=[DaySample(YESTERDAY, 8000)], source="iphone-8F2C", now=dj_timezone.now())
    job = run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))
    assert total(user, YESTERDAY) == 8000
    assert job["days_changed"] == 0


@pytest.mark.django_db
def test_imported_days_never_send_a_goal_push(run_now):
    user = make_user(timezone="Europe/Berlin", daily_goal=1000)
    run_now(client_for(user), apple_zip(walk_records(YESTERDAY) + walk_records(TODAY)))
    assert total(user, YESTERDAY) == 6000
    assert not Notification.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_the_board_shows_the_imported_days_once_the_import_is_done(run_now, settings):
    user = make_user(timezone="Europe/Berlin", display_name="Importer")
    if settings.REDIS_URL:
        rebuilt("day", YESTERDAY)  # the board is in the index before the import
    run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))
    response = client_for(make_user()).get("/api/v1/rankings/day", {"date": YESTERDAY.isoformat()})
    # The embedded default has no index: its boards are read from SQL.
    assert response[SOURCE_HEADER] == ("index" if settings.REDIS_URL else "sql")
    assert [(e["display_name"], e["steps"]) for e in response.json()["entries"]] == [("Importer", 6000)]


@pytest.mark.django_db
def test_days_over_ten_years_old_in_the_future_or_over_a_cap_are_left_out_and_counted(run_now):
    user = make_user(timezone="Europe/Berlin")
    too_old = TODAY - timedelta(days=3700)
    fixed = offset_of(local(YESTERDAY, 9))
    records = [
        *walk_records(too_old),
        *walk_records(TODAY + timedelta(days=5)),
        ("Treadmill", local(YESTERDAY, 12).astimezone(fixed), local(YESTERDAY, 12, 30).astimezone(fixed), 20_000),
        *walk_records(YESTERDAY),
    ]
    job = run_now(client_for(user), apple_zip(records))
    assert job["status"] == "done"
    assert job["records_skipped"] == 5  # two sources on two days, and the treadmill's impossible hour
    assert job["days_imported"] == 1
    assert set(DayTotal.objects.filter(user=user).values_list("day", flat=True)) == {YESTERDAY}


@pytest.mark.django_db
def test_a_malformed_file_fails_the_job_naming_the_file_and_line_and_keeps_what_was_read_before(run_now):
    user = make_user(timezone="Europe/Berlin")
    good = builders.fitbit_steps([(f"{YESTERDAY:%m/%d/%y} 09:00:00", "700")])
    bad = b'[{"dateTime": "%s 09:00:00", "value": "700"},\n {"dateTime": "yesterday", "value": "1"}]' % (
        f"{TODAY:%m/%d/%y}".encode()
    )
    data = builders.zip_of(
        {
            f"Fitbit/Global Export Data/steps-{YESTERDAY.isoformat()}.json": good,
            f"Fitbit/Global Export Data/steps-{TODAY.isoformat()}.json": bad,
        }
    )
    job = run_now(client_for(user), data, "fitbit.zip")
    assert job["status"] == "failed"
    assert job["error"] == (
        f"Fitbit/Global Export Data/steps-{TODAY.isoformat()}.json, line 2: "
        "'yesterday' is not a time like 03/14/24 10:00:00"
    )
    assert total(user, YESTERDAY) == 700  # the file read whole before the bad one stays
    assert total(user, TODAY) == 0


@pytest.mark.django_db
def test_a_failed_job_names_the_problem_in_its_owners_language(run_now):
    bad = b'[{"dateTime": "yesterday", "value": "1"}]'
    data = builders.zip_of({f"Fitbit/Global Export Data/steps-{TODAY.isoformat()}.json": bad})
    name = f"Fitbit/Global Export Data/steps-{TODAY.isoformat()}.json"
    korean = run_now(client_for(make_user(language="ko")), data, "fitbit.zip")
    english = run_now(client_for(make_user(language="")), data, "fitbit.zip")
    assert korean["status"] == english["status"] == "failed"
    assert korean["error"] == f"{name}, 1번째 줄: 'yesterday'은(는) 03/14/24 10:00:00 형식의 시각이 아니에요"
    assert english["error"] == f"{name}, line 1: 'yesterday' is not a time like 03/14/24 10:00:00"


@pytest.mark.django_db
def test_an_upload_refused_at_once_is_refused_in_the_users_language():
    response = upload(client_for(make_user(language="ko")), b"just some notes\n", "notes.txt")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unreadable_file"
    assert response.json()["error"]["message"] == (
        "notes.txt: 읽을 수 있는 내보내기 파일이 아니에요"
        "(Apple Health, Google Fit, Fitbit, Samsung Health 또는 이 앱의 내보내기)"
    )


@pytest.mark.django_db
def test_a_billion_laughs_upload_fails_its_job_at_once(run_now):
    user = make_user()
    job = run_now(client_for(user), builders.BILLION_LAUGHS, "export.xml")
    assert job["status"] == "failed"
    assert job["error"].startswith("export.xml, line 3: refused: the file declares entities")


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_at_upload_in_the_error_shape():
    response = upload(client_for(make_user()), builders.zip_bomb(), "export.zip")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unreadable_file"
    assert "zip bomb" in response.json()["error"]["message"]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_no_export_is_refused_in_the_error_shape():
    response = upload(client_for(make_user()), b"just some notes\n", "notes.txt")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "unreadable_file",
            "message": f"notes.txt: not an export we can read ({KNOWN})",
        }
    }


@pytest.mark.django_db
def test_an_upload_without_a_file_or_with_other_fields_is_a_validation_error():
    client = client_for(make_user())
    assert client.post(URL, {}, format="multipart").json()["error"]["fields"] == {
        "file": ["Send one file in the field `file`."]
    }
    response = client.post(URL, {"file": SimpleUploadedFile("x.xml", b"<a/>"), "user": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"user": ["Unknown field."]}
    assert client.post(URL, {"file": "x"}, format="json").status_code == 415


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_as_it_streams(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    response = upload(client_for(make_user()), apple_zip(walk_records(YESTERDAY)) + b"\0" * 20_000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.django_db
def test_a_day_of_uploads_is_limited_per_user(settings, run_now):
    user = make_user(timezone="Europe/Berlin")
    data = apple_zip(walk_records(YESTERDAY))
    settings.IMPORT_MAX_BYTES_PER_DAY = len(data) * 2 + 100
    client = client_for(user)
    run_now(client, data)
    run_now(client, data)
    response = upload(client, data)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "import_quota_exceeded"


@pytest.mark.django_db
def test_a_queued_import_can_be_cancelled_a_finished_one_not_and_nobody_elses(run_now):
    user = make_user(timezone="Europe/Berlin")
    client = client_for(user)
    queued = upload(client, apple_zip(walk_records(YESTERDAY))).json()  # its task never ran: on_commit not run here
    stranger = client_for(make_user())
    assert stranger.delete(f"{URL}/{queued['id']}").status_code == 404
    assert stranger.get(f"{URL}/{queued['id']}").status_code == 404
    cancelled = client.delete(f"{URL}/{queued['id']}")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["error"]) == ("failed", "Cancelled.")
    done = run_now(client, apple_zip(walk_records(YESTERDAY)))
    conflict = client.delete(f"{URL}/{done['id']}")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"
    listed = client.get(URL).json()["imports"]
    assert [job["id"] for job in listed] == [done["id"], queued["id"]]
    assert stranger.get(URL).json() == {"imports": []}


@pytest.mark.django_db
def test_a_running_import_stops_at_its_next_batch_when_cancelled(monkeypatch):
    from imports import jobs

    user = make_user(timezone="Europe/Berlin")
    client = client_for(user)
    days = [LONG_AGO + timedelta(days=n) for n in range(100)]
    body = upload(client, apple_zip([r for day in days for r in walk_records(day)])).json()
    job = ImportJob.objects.get(uuid=body["id"])
    stored = []

    def record_then_cancel(**kwargs):
        result = original(**kwargs)
        stored.append(len(kwargs["days"]))
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        return result

    original = jobs.record_imported_steps
    monkeypatch.setattr(jobs, "record_imported_steps", record_then_cancel)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    jobs.run_import(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "Cancelled.")
    assert len(stored) == 1  # one batch of 31 days, then it stopped
    assert DayTotal.objects.filter(user=user).count() == jobs.BATCH_DAYS


@pytest.mark.django_db
def test_signed_out_callers_cannot_import(api):
    assert api.post(URL, {}, format="multipart").status_code == 401
    assert api.get(URL).status_code == 401


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_taken_over_by_the_next_delivery_and_a_live_one_is_not():
    from imports import jobs

    user = make_user(timezone="Europe/Berlin")
    body = upload(client_for(user), apple_zip(walk_records(YESTERDAY))).json()
    job = ImportJob.objects.get(uuid=body["id"])
    now = dj_timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=now, heartbeat_at=now)
    assert jobs.run_import(job_id=job.pk) is None  # its worker is alive: a second delivery leaves it alone
    stale = now - jobs.STALE_AFTER - timedelta(seconds=1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    assert jobs.run_import(job_id=job.pk).status == "done"
    assert total(user, YESTERDAY) == 6000


# --- Through the fan-out: one publish of every changed day, as an import ---------------------------------


def _listening():
    from infrastructure.fanout import Phase
    from steps.changes import day_changes

    heard: list = []
    day_changes.register("test.import_listener", heard.append, phase=Phase.IN_TRANSACTION)
    return heard


def _stop_listening():
    from steps.changes import day_changes

    day_changes._registrations[:] = [r for r in day_changes._registrations if r.name != "test.import_listener"]


@pytest.mark.django_db
def test_an_import_is_published_once_as_an_import_with_every_day_it_changed_and_the_index_written_once(
    run_now, monkeypatch
):
    from imports import jobs
    from rankings import services as rankings_services
    from steps.changes import Origin

    user = make_user(timezone="Europe/Berlin", daily_goal=1000)
    days = [YESTERDAY - timedelta(days=n) for n in range(jobs.BATCH_DAYS + 5)]  # two batches
    record_steps(user=user, days=[DaySample(days[0], 9000)], source="iphone-8F2C", now=dj_timezone.now())
    index_writes = []
    real_write_boards = rankings_services._write_boards

    def counted(user_pk, days, **kwargs):
        index_writes.append(sorted(days))
        return real_write_boards(user_pk, days, **kwargs)

    monkeypatch.setattr(rankings_services, "_write_boards", counted)
    heard = _listening()
    try:
        job = run_now(client_for(user), apple_zip([r for day in days for r in walk_records(day)]))
    finally:
        _stop_listening()
    assert job["status"] == "done"
    assert job["days_changed"] == len(days) - 1  # the synced 9,000 stays above the import's 6,000
    assert [(event.origin, event.user.pk) for event in heard] == [(Origin.IMPORT, user.pk)]
    assert sorted(change.day for change in heard[0].changes) == sorted(days[1:])
    assert all(change.old_total == 0 and change.new_total == 6000 for change in heard[0].changes)
    assert index_writes == [sorted(days[1:])]
    # The sync's push for yesterday, and none for what the import raised.
    assert list(Notification.objects.filter(user=user).values_list("day", flat=True)) == [days[0]]


@pytest.mark.django_db
def test_an_import_that_changes_nothing_publishes_nothing(run_now):
    user = make_user(timezone="Europe/Berlin")
    run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))
    heard = _listening()
    try:
        job = run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))
    finally:
        _stop_listening()
    assert job["days_changed"] == 0
    assert heard == []


@pytest.mark.django_db
def test_after_a_retried_batch_every_stored_day_is_published_even_those_that_read_unchanged(run_now, monkeypatch):
    # A batch whose first attempt lost its connection may have committed unseen: its retry
    # reads those days as unchanged. They are published all the same (absolute totals).
    import dataclasses

    from imports import jobs

    user = make_user(timezone="Europe/Berlin")
    run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))  # what the lost attempt committed
    record_imported_steps = jobs.record_imported_steps

    def retried(**kwargs):
        return dataclasses.replace(record_imported_steps(**kwargs), retried=True)

    monkeypatch.setattr(jobs, "record_imported_steps", retried)
    heard = _listening()
    try:
        run_now(client_for(user), apple_zip(walk_records(YESTERDAY)))
    finally:
        _stop_listening()
    assert [[(change.day, change.new_total) for change in event.changes] for event in heard] == [[(YESTERDAY, 6000)]]


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_loses_its_race_is_run_again_and_the_import_finishes(inline_tasks, monkeypatch):
    from django.db import OperationalError

    from infrastructure.db import transactions
    from steps import services as steps_services

    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    real = steps_services._lock_user_and_read_totals
    conflicts = iter([OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")])

    def lock_then_lose_the_race(*args, **kwargs):
        for error in conflicts:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(steps_services, "_lock_user_and_read_totals", lock_then_lose_the_race)
    user = make_user(timezone="Europe/Berlin")
    body = upload(client_for(user), apple_zip(walk_records(YESTERDAY))).json()
    job = ImportJob.objects.get(uuid=body["id"])
    assert (job.status, job.error) == ("done", "")
    assert total(user, YESTERDAY) == 6000
    assert next(conflicts, None) is None  # the conflict was raised, and the batch ran again
