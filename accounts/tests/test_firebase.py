"""Firebase sign-in, through the real firebase-admin verification, offline.

A locally made key signs the ID tokens; its certificate stands in for Google's
at Google's certificate URL, faked at the HTTP boundary with `responses`.
"""

import datetime as dt

import pytest
import responses

from accounts.models import User
from infrastructure.firebase import reset_firebase_app
from pedometer_site.tests.testing import GOOGLE_CERTIFICATES_URL, PASSWORD, FirebaseProject, bearer_client, make_user

URL = "/api/v1/auth/firebase"


@pytest.fixture
def project(settings, tmp_path, monkeypatch) -> FirebaseProject:
    # The emulator variable makes firebase-admin skip the signature check.
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    project = FirebaseProject()
    settings.FIREBASE_CREDENTIALS = str(project.write_credentials(tmp_path))
    reset_firebase_app()  # certificates are cached per app
    yield project
    reset_firebase_app()


@pytest.fixture
def google():
    # Unmatched URLs raise ConnectionError: nothing reaches the real Google.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def publish_certificates(google, project: FirebaseProject) -> None:
    google.get(
        GOOGLE_CERTIFICATES_URL,
        json=project.published_certificates(),
        headers={"Cache-Control": "public, max-age=3600"},
    )


def sign_in_with(api, id_token: str):
    return api.post(URL, {"id_token": id_token}, format="json")


@pytest.mark.django_db
def test_a_valid_token_creates_the_user_then_finds_it_again(api, project, google):
    publish_certificates(google, project)
    token = project.id_token(uid="fb-ada", email="ada@example.com", email_verified=True, name="Ada L.")

    first = sign_in_with(api, token)
    second = sign_in_with(api, token)

    assert first.status_code == 200, first.json()
    assert first.json()["created"] is True
    user = User.objects.get(firebase_uid="fb-ada")
    assert first.json()["user"]["id"] == str(user.uuid)
    assert (user.email, user.display_name, user.has_usable_password()) == ("ada@example.com", "Ada L.", False)
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["user"]["id"] == str(user.uuid)
    assert User.objects.count() == 1
    assert bearer_client(second.json()["access"]).get("/api/v1/me").json()["id"] == str(user.uuid)
    assert google.calls[0].request.url == GOOGLE_CERTIFICATES_URL


@pytest.mark.django_db
def test_an_unverified_email_is_not_stored(api, project, google):
    publish_certificates(google, project)

    response = sign_in_with(api, project.id_token(uid="fb-x", email="ada@example.com", email_verified=False))

    assert response.status_code == 200
    assert response.json()["created"] is True
    assert response.json()["user"]["email"] is None
    assert User.objects.get(firebase_uid="fb-x").email is None


@pytest.mark.django_db
def test_a_verified_email_links_to_the_existing_password_account(api, project, google):
    publish_certificates(google, project)
    existing = make_user(email="ada@example.com")

    response = sign_in_with(api, project.id_token(uid="fb-ada", email="ADA@example.com", email_verified=True))

    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["user"]["id"] == str(existing.uuid)
    existing.refresh_from_db()
    assert existing.firebase_uid == "fb-ada"
    assert existing.check_password(PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_unverified_email_never_takes_over_an_existing_account(api, project, google):
    publish_certificates(google, project)
    existing = make_user(email="ada@example.com")

    response = sign_in_with(api, project.id_token(uid="fb-mallory", email="ada@example.com", email_verified=False))

    assert response.status_code == 200
    assert response.json()["user"]["id"] != str(existing.uuid)
    existing.refresh_from_db()
    assert existing.firebase_uid is None


@pytest.mark.django_db
def test_a_verified_email_never_moves_an_account_to_another_firebase_user(api, project, google):
    publish_certificates(google, project)
    existing = make_user(email="ada@example.com", firebase_uid="fb-ada")

    response = sign_in_with(api, project.id_token(uid="fb-other", email="ada@example.com", email_verified=True))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    existing.refresh_from_db()
    assert existing.firebase_uid == "fb-ada"
    assert sign_in_with(api, project.id_token(uid="fb-ada")).json()["user"]["id"] == str(existing.uuid)


@pytest.mark.django_db
def test_a_deactivated_account_cannot_sign_in_with_firebase(api, project, google):
    publish_certificates(google, project)
    make_user(email="ada@example.com", firebase_uid="fb-ada", is_active=False)

    response = sign_in_with(api, project.id_token(uid="fb-ada"))

    assert response.status_code == 401
    assert "access" not in response.json()


@pytest.mark.django_db
def test_an_expired_token_is_401(api, project, google):
    publish_certificates(google, project)
    two_hours_ago = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=2)

    response = sign_in_with(api, project.id_token(uid="fb-ada", issued_at=two_hours_ago))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "expired" in response.json()["error"]["message"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_token_for_another_project_is_401(api, project, google):
    publish_certificates(google, project)

    response = sign_in_with(api, project.id_token(uid="fb-ada", audience="someone-elses-project"))

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "The Firebase ID token is not valid.",
    }
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_tampered_token_is_401(api, project, google):
    publish_certificates(google, project)
    header, payload, signature = project.id_token(uid="fb-ada").split(".")
    flipped = ("B" if signature[10] == "A" else "A").join([signature[:10], signature[11:]])

    response = sign_in_with(api, f"{header}.{payload}.{flipped}")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The Firebase ID token is not valid."
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_token_signed_by_a_key_google_does_not_publish_is_401(api, project, google):
    publish_certificates(google, project)
    stranger = FirebaseProject(project_id=project.project_id, key_id="not-published")

    response = sign_in_with(api, stranger.id_token(uid="fb-ada"))

    assert response.status_code == 401
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "x" * 4000])
def test_a_garbage_token_is_401(api, project, google, garbage):
    publish_certificates(google, project)

    response = sign_in_with(api, garbage)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_google_certificates_unreachable_is_503(api, project, google):
    google.get(GOOGLE_CERTIFICATES_URL, status=500, body="backend error")

    response = sign_in_with(api, project.id_token(uid="fb-ada"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_firebase_not_configured_is_503(api, settings):
    settings.FIREBASE_CREDENTIALS = ""
    reset_firebase_app()

    response = sign_in_with(api, FirebaseProject().id_token(uid="fb-ada"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("contents", [None, "{not json", '{"type": "service_account"}'])
def test_a_broken_credentials_file_is_503_not_a_crash(api, settings, tmp_path, contents):
    path = tmp_path / "service-account.json"
    if contents is not None:
        path.write_text(contents)
    settings.FIREBASE_CREDENTIALS = str(path)
    reset_firebase_app()

    response = sign_in_with(api, FirebaseProject().id_token(uid="fb-ada"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    reset_firebase_app()
