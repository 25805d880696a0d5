import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

URL = "/api/v1/imports"


def upload(client, data: bytes, name: str = "export.zip"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # make_user() hashes a password per user; the real hasher is slow on purpose
    # and these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    # Production hashes static names from a manifest that `collectstatic` writes;
    # admin pages rendered in tests would fail to find it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _job_folders_in_tmp(settings, tmp_path):
    settings.IMPORT_DIR = str(tmp_path / "imports")


@pytest.fixture
def run_now(inline_tasks, django_capture_on_commit_callbacks):
    """Uploads and runs the job inline (as the embedded default does); returns the job as GET shows it."""

    def run(client, data: bytes, name: str = "export.zip"):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, data, name)
        assert response.status_code == 202, response.json()
        assert response.json()["status"] == "queued"
        shown = client.get(f"{URL}/{response.json()['id']}")
        assert shown.status_code == 200
        return shown.json()

    return run
