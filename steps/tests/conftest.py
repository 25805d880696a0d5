import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # make_user() hashes a password per user; the real hasher is slow on purpose
    # and these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
