import pytest
import responses

from pedometer_site.celery import app as celery_app
from pedometer_site.firebase import reset_firebase_app
from pedometer_site.testing import FirebaseProject

from . import fake_fcm


@pytest.fixture(scope="session")
def service_account_file(tmp_path_factory) -> str:
    """A Firebase service-account JSON file with a key made here, not Google's."""
    project = FirebaseProject(project_id=fake_fcm.PROJECT_ID)
    return str(project.write_credentials(tmp_path_factory.mktemp("firebase")))


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
