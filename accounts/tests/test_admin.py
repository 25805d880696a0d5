"""Staff find users in the admin by email, name or public id, and delete them as the API does; nobody else gets in."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.events import visibility_changed
from accounts.services import tokens_for
from infrastructure.fanout import Phase
from pedometer_site.tests.testing import make_user

USERS = "/admin/accounts/user/"


@pytest.fixture
def staff_client(client):
    staff = make_user(email="staff@example.com", display_name="Staff", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(staff)
    return client


def listed_emails(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


@pytest.mark.django_db
def test_staff_see_the_user_list(staff_client):
    make_user(email="ada@example.com")

    response = staff_client.get(USERS)

    assert response.status_code == 200
    assert listed_emails(response) == {"staff@example.com", "ada@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["ada@example.com", "ADA@EXAMPLE", "lovelace", "Ada Love"])
def test_staff_search_by_email_or_display_name(staff_client, term):
    make_user(email="ada@example.com", display_name="Ada Lovelace")
    make_user(email="bo@example.com", display_name="Bo Diddley")

    response = staff_client.get(USERS, {"q": term})

    assert response.status_code == 200
    assert listed_emails(response) == {"ada@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize("spell", [str, lambda u: str(u).upper(), lambda u: u.hex])
def test_staff_search_by_public_id(staff_client, spell):
    ada = make_user(email="ada@example.com")
    make_user(email="bo@example.com")

    response = staff_client.get(USERS, {"q": spell(ada.uuid)})

    assert response.status_code == 200
    assert listed_emails(response) == {"ada@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["not-a-uuid", "1234", str(uuid.uuid4())[:-1] + "z", "%", "'; --"])
def test_a_search_that_is_no_uuid_finds_nothing_and_does_not_fail(staff_client, term):
    make_user(email="ada@example.com", display_name="Ada")

    response = staff_client.get(USERS, {"q": term})

    assert response.status_code == 200
    assert listed_emails(response) == set()


@pytest.mark.django_db
def test_staff_filter_by_visibility(staff_client):
    make_user(email="ada@example.com", visibility="private")
    make_user(email="bo@example.com", visibility="public")

    response = staff_client.get(USERS, {"visibility__exact": "private"})

    assert response.status_code == 200
    assert listed_emails(response) == {"ada@example.com"}


@pytest.mark.django_db
def test_staff_open_a_user(staff_client):
    ada = make_user(email="ada@example.com")

    response = staff_client.get(f"{USERS}{ada.pk}/change/")

    assert response.status_code == 200
    assert str(ada.uuid) in response.content.decode()


@pytest.mark.django_db
def test_a_non_staff_user_is_sent_to_the_login_page(client):
    client.force_login(make_user(email="ada@example.com"))

    response = client.get(USERS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "next=/admin/accounts/user/" in response["Location"]


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(USERS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_staff_sign_in_to_the_admin_with_email_and_password(client):
    make_user(email="staff@example.com", password="staff-passphrase-2026", is_staff=True)

    page = client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "STAFF@example.com", "password": "staff-passphrase-2026"}
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.fixture
def deleting_staff_client(client):
    staff = make_user(email="boss@example.com", display_name="Boss", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "delete_user"]))
    client.force_login(staff)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_staff_deleting_an_account_removes_its_tokens_as_the_api_does(deleting_staff_client, how):
    ada = make_user(email="ada@example.com")
    tokens_for(ada)
    assert OutstandingToken.objects.filter(user=ada).exists()

    if how == "delete page":
        response = deleting_staff_client.post(f"{USERS}{ada.pk}/delete/", {"post": "yes"})
    else:
        response = deleting_staff_client.post(
            USERS, {"action": "delete_selected", "_selected_action": [ada.pk], "post": "yes"}
        )

    assert response.status_code == 302
    assert not type(ada).objects.filter(pk=ada.pk).exists()
    # simplejwt keeps tokens with SET_NULL: only user_delete removes them.
    assert not OutstandingToken.objects.filter(user_id__isnull=True).exists()


def change_form_data(page) -> dict:
    """What the user's change page would post back unchanged."""
    form = page.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif value is not None:
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(key): value for key, value in management.initial.items()})
    return data


@pytest.mark.django_db
def test_staff_changing_visibility_is_published_like_the_profile_api_does(client):
    staff = make_user(email="boss@example.com", display_name="Boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    ada = make_user(email="ada@example.com", visibility="public")
    heard = []
    visibility_changed.register("test.listener", heard.append, phase=Phase.IN_TRANSACTION)
    try:
        page = client.get(f"{USERS}{ada.pk}/change/")
        response = client.post(f"{USERS}{ada.pk}/change/", {**change_form_data(page), "visibility": "private"})
    finally:
        visibility_changed._registrations[:] = [
            r for r in visibility_changed._registrations if r.name != "test.listener"
        ]
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert [(event.user.pk, event.before, event.user.visibility) for event in heard] == [(ada.pk, "public", "private")]
