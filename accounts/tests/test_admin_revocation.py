"""Staff changes through the admin reach open sockets at once, like the API's:
deactivating an account closes its sockets (4401) and revokes it from its
watchers; making it private revokes it from those who may no longer see it."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from accounts.models import User
from pedometer_site.tests.testing import make_user, sign_in, websocket


def change_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "timezone": user.timezone,
        "daily_goal": user.daily_goal,
        "visibility": user.visibility,
        "is_active": "on" if user.is_active else "",
        "devices-TOTAL_FORMS": "0",
        "devices-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def staff_saves(user: User, **changes) -> int:
    staff = make_user(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(staff)
    response = browser.post(f"/admin/accounts/user/{user.pk}/change/", change_form(user, **changes))
    return response.status_code


async def open_live(watcher: User, watched: User):
    access = (await database_sync_to_async(sign_in)(watcher)).access
    socket = websocket(f"/ws/live/?users={watched.uuid}", token=access)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=3))["users"] == [str(watched.uuid)]
    await socket.receive_json_from(timeout=3)  # the snapshot
    return socket


@pytest.mark.django_db(transaction=True)
def test_deactivating_in_the_admin_closes_the_accounts_sockets_and_revokes_it_from_watchers():
    walker, watcher, other = make_user(), make_user(), make_user()

    async def scenario() -> tuple[dict, dict]:
        watching = await open_live(watcher, walker)
        own = await open_live(walker, other)
        assert await database_sync_to_async(staff_saves)(walker, is_active="") == 302
        revoked = await watching.receive_json_from(timeout=2)
        closed = await own.receive_output(timeout=2)
        await watching.disconnect()
        return revoked, closed

    revoked, closed = async_to_sync(scenario)()
    assert revoked == {"type": "revoked", "user": str(walker.uuid)}
    assert closed == {"type": "websocket.close", "code": 4401}
    assert not User.objects.get(pk=walker.pk).is_active


@pytest.mark.django_db(transaction=True)
def test_making_an_account_private_in_the_admin_revokes_it_from_its_watchers():
    walker, watcher = make_user(), make_user()

    async def scenario() -> dict:
        watching = await open_live(watcher, walker)
        assert await database_sync_to_async(staff_saves)(walker, visibility="private") == 302
        message = await watching.receive_json_from(timeout=2)
        await watching.disconnect()
        return message

    assert async_to_sync(scenario)() == {"type": "revoked", "user": str(walker.uuid)}
