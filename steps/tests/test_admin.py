"""The staff pages for step records: list, filters, CSV, review, correction, chart."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from pedometer_site.tests.testing import make_user
from steps.models import DailySteps, DayTotal, StepCorrection
from steps.services import DaySample, record_steps

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
CHANGELIST = "/admin/steps/dailysteps/"


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client() -> tuple[Client, object]:
    staff = make_user(is_staff=True, is_superuser=True, email="boss@example.com")
    return signed_in(staff), staff


def walked(user, steps: int, day: date = TODAY, source: str = "default") -> DailySteps:
    record_steps(user=user, days=[DaySample(day, steps)], source=source, now=NOW, max_age_days=None)
    return DailySteps.objects.get(user=user, day=day, source=source)


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_the_changelist_lists_day_records_with_a_bounded_number_of_queries(django_assert_max_num_queries):
    client, _ = staff_client()
    for n in range(15):
        walked(make_user(display_name=f"Walker {n}"), 1000 + n)
    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 15
    assert b"Walker 14" in response.content


@pytest.mark.django_db
def test_the_changelist_shows_a_chart_of_steps_and_active_users_per_day():
    client, _ = staff_client()
    walked(make_user(), 3000)
    walked(make_user(), 4000)
    walked(make_user(), 500, day=TODAY - timedelta(days=2))
    content = client.get(CHANGELIST).content.decode()
    assert 'id="activity-chart"' in content
    assert "<svg" in content
    assert "2026-11-25: 7000 steps, 2 active users" in content
    assert "2026-11-23: 500 steps, 1 active users" in content
    assert "2026-10-27: 0 steps, 0 active users" in content  # 30 days, zero-filled


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"flagged__exact": "1"}, {"big@example.com"}),
        ({"source": "watch"}, {"watch@example.com"}),
        ({"source": "__named__"}, {"watch@example.com"}),
        ({"day__year": "2026", "day__month": "11", "day__day": "20"}, {"old@example.com"}),
        ({"q": "big@"}, {"big@example.com"}),
        ({"q": "Watchful"}, {"watch@example.com"}),
    ],
)
def test_filters_date_hierarchy_and_search_narrow_the_list(query, expected):
    client, _ = staff_client()
    walked(make_user(email="big@example.com"), 60_000)
    walked(make_user(email="watch@example.com", display_name="Watchful"), 100, source="watch")
    walked(make_user(email="old@example.com"), 100, day=date(2026, 11, 20))
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    assert {row.user.email for row in response.context["cl"].result_list} == expected


@pytest.mark.django_db
def test_the_csv_export_holds_the_filtered_rows_and_links_from_the_filtered_list():
    client, _ = staff_client()
    walker = make_user(email="big@example.com", display_name="=HYPERLINK(1)")
    walked(walker, 60_000)
    walked(make_user(email="small@example.com"), 10)
    listing = client.get(CHANGELIST, {"flagged__exact": "1"}).content.decode()
    assert 'href="/admin/steps/dailysteps/export.csv?flagged__exact=1"' in listing
    rows = csv_rows(client.get("/admin/steps/dailysteps/export.csv", {"flagged__exact": "1"}))
    assert len(rows) == 1
    assert rows[0]["email"] == "big@example.com"
    assert rows[0]["user_id"] == str(walker.uuid)
    assert (rows[0]["day"], rows[0]["source"], rows[0]["steps"], rows[0]["flagged"]) == (
        "2026-11-25",
        "default",
        "60000",
        "True",
    )
    assert rows[0]["display_name"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it
    assert len(csv_rows(client.get("/admin/steps/dailysteps/export.csv"))) == 2


@pytest.mark.django_db
def test_the_review_action_clears_flags_and_records_the_reviewer():
    client, staff = staff_client()
    flagged = walked(make_user(), 70_000)
    plain = walked(make_user(), 7_000)
    response = client.post(
        CHANGELIST, {"action": "mark_reviewed", "_selected_action": [flagged.pk, plain.pk]}, follow=True
    )
    assert b"1 flagged day record marked as reviewed." in response.content
    flagged.refresh_from_db()
    plain.refresh_from_db()
    assert (flagged.flagged, flagged.reviewed_by, flagged.reviewed_at, flagged.steps) == (False, staff, NOW, 70_000)
    assert plain.reviewed_by is None


@pytest.mark.django_db
def test_the_correction_form_lowers_the_count_and_shows_the_audit_trail():
    client, staff = staff_client()
    record = walked(make_user(), 90_000)
    page = client.get(f"{CHANGELIST}{record.pk}/change/").content.decode()
    assert f'href="{CHANGELIST}{record.pk}/correct/"' in page
    form = client.get(f"{CHANGELIST}{record.pk}/correct/")
    assert form.status_code == 200
    assert b"No corrections yet." in form.content
    response = client.post(f"{CHANGELIST}{record.pk}/correct/", {"steps": "8000", "reason": "Phone in a washer"})
    assert response.status_code == 302
    assert DayTotal.objects.get(user=record.user).steps == 8000
    audit = StepCorrection.objects.get()
    assert (audit.old_steps, audit.new_steps, audit.corrected_by, audit.reason) == (
        90_000,
        8000,
        staff,
        "Phone in a washer",
    )
    trail = client.get(f"{CHANGELIST}{record.pk}/correct/").content.decode()
    assert "Phone in a washer" in trail
    assert client.get("/admin/steps/stepcorrection/").status_code == 200


@pytest.mark.django_db
def test_a_correction_without_a_reason_or_out_of_range_changes_nothing():
    client, _ = staff_client()
    record = walked(make_user(), 90_000)
    for data in (
        {"steps": "8000", "reason": ""},
        {"steps": "100001", "reason": "typo"},
        {"steps": "-1", "reason": "x"},
    ):
        response = client.post(f"{CHANGELIST}{record.pk}/correct/", data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert DayTotal.objects.get(user=record.user).steps == 50_000  # flagged: counted at the threshold
    assert not StepCorrection.objects.exists()


@pytest.mark.django_db
def test_records_cannot_be_edited_added_or_deleted_through_the_plain_admin_forms():
    client, _ = staff_client()
    record = walked(make_user(), 5000)
    client.post(f"{CHANGELIST}{record.pk}/change/", {"steps": "1"})
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/steps/stepcorrection/add/").status_code == 403
    record.refresh_from_db()
    assert record.steps == 5000


@pytest.mark.django_db
def test_staff_without_the_change_permission_can_neither_correct_nor_review():
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_dailysteps"))
    client = signed_in(viewer)
    record = walked(make_user(), 70_000)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{record.pk}/correct/").status_code == 403
    client.post(CHANGELIST, {"action": "mark_reviewed", "_selected_action": [record.pk]})
    record.refresh_from_db()
    assert record.flagged


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["", "export.csv", "{pk}/correct/", "{pk}/change/"])
def test_people_who_are_not_staff_are_sent_to_sign_in(page):
    record = walked(make_user(), 70_000)
    response = signed_in(make_user()).get(CHANGELIST + page.format(pk=record.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
