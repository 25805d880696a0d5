import pytest


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
