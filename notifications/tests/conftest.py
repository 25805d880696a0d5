import json

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pedometer_site.celery import app as celery_app
from pedometer_site.firebase import reset_firebase_app

from . import fake_fcm


@pytest.fixture(scope="session")
def service_account_file(tmp_path_factory):
    """A Firebase service-account JSON file with a key made here, not Google's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": fake_fcm.PROJECT_ID,
        "private_key_id": "test-key-1",
        "private_key": pem,
        "client_email": f"pushes@{fake_fcm.PROJECT_ID}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": fake_fcm.TOKEN_URL,
    }
    path = tmp_path_factory.mktemp("firebase") / "service-account.json"
    path.write_text(json.dumps(account))
    return str(path)


@pytest.fixture
def fcm(settings, service_account_file):
    """FIREBASE_CREDENTIALS set, and Google's endpoints faked: the real firebase-admin code sends."""
    settings.FIREBASE_CREDENTIALS = service_account_file
    reset_firebase_app()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield fake_fcm.install(rsps)
    reset_firebase_app()


@pytest.fixture
def no_fcm_credentials(settings):
    """The embedded default: pushes are logged, not sent. Any HTTP call would fail the test."""
    settings.FIREBASE_CREDENTIALS = ""
    reset_firebase_app()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
    reset_firebase_app()


@pytest.fixture
def inline_tasks():
    """Tasks run inline, as in the embedded default (make test has a Redis broker configured)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
