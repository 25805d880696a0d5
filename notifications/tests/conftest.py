import pytest
import responses

from infrastructure.firebase import reset_firebase_app
from pedometer_site.celery import app as celery_app
from pedometer_site.tests.testing import FirebaseProject

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


def _use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Celery caches its connection and producer pools per app: drop them so the next publish uses `url`.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Tasks are published (not run inline); ``broker(url)`` points the app at a broker."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "worker_hijack_root_logger")}
    celery_app.conf.task_always_eager = False
    celery_app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    yield _use_broker
    celery_app.conf.update(saved)
    _use_broker(saved["broker_url"])
