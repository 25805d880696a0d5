"""manage.py import_steps, and the admin's list of jobs."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from imports.models import ImportJob
from pedometer_site.tests.testing import make_user
from steps.models import DayTotal

from .test_import_api import LONG_AGO, YESTERDAY, apple_zip, walk_records


@pytest.mark.django_db
def test_import_steps_imports_a_file_for_a_user_from_the_shell(tmp_path):
    user = make_user(email="walker@example.com", timezone="Europe/Berlin")
    path = tmp_path / "export.zip"
    path.write_bytes(apple_zip(walk_records(YESTERDAY) + walk_records(LONG_AGO)))
    out = io.StringIO()
    call_command("import_steps", "--user", "Walker@Example.com", str(path), stdout=out)
    assert "apple_health: export.zip" in out.getvalue()
    assert "done: 4 records, 2 days" in out.getvalue()
    assert DayTotal.objects.get(user=user, day=YESTERDAY).steps == 6000
    assert path.exists()  # the job worked on a copy
    assert ImportJob.objects.get(user=user).status == "done"


@pytest.mark.django_db
def test_import_steps_says_what_is_wrong(tmp_path):
    make_user(email="walker@example.com")
    with pytest.raises(CommandError, match="No account"):
        call_command("import_steps", "--user", "nobody@example.com", str(tmp_path / "x.zip"))
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    with pytest.raises(CommandError, match=r"notes\.txt: not an export we can read"):
        call_command("import_steps", "--user", "walker@example.com", str(path))


@pytest.mark.django_db
def test_the_admin_lists_import_jobs_for_staff(client, tmp_path):
    user = make_user(email="walker@example.com", timezone="Europe/Berlin")
    path = tmp_path / "export.zip"
    path.write_bytes(apple_zip(walk_records(YESTERDAY)))
    call_command("import_steps", "--user", user.email, str(path), stdout=io.StringIO())
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/imports/importjob/")
    assert listing.status_code == 200
    assert b"walker@example.com" in listing.content
    assert b"apple_health" in listing.content
    job = ImportJob.objects.get()
    assert client.get(f"/admin/imports/importjob/{job.pk}/change/").status_code == 200
    assert client.get("/admin/imports/importjob/add/").status_code == 403
