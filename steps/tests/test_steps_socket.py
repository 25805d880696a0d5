"""/ws/steps/: a phone streams counts over a socket, with the REST sync's rules."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from pedometer_site.tests.testing import make_user, signed_in, websocket
from steps.models import DailySteps, DayTotal

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = "2026-11-25"

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@database_sync_to_async
def stored_total(user) -> int | None:
    row = DayTotal.objects.filter(user=user).first()
    return row.steps if row else None


async def open_socket(**auth):
    socket = websocket("/ws/steps/", **auth)
    connected, subprotocol = await socket.connect()
    assert connected
    return socket, subprotocol


async def closed_with(socket) -> int:
    """The close code, asserting nothing was sent before it."""
    output = await socket.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def test_phone_signed_in_by_query_token_is_answered_with_its_stored_total():
    user, access = await signed_in(daily_goal=5000)
    socket, _ = await open_socket(token=access)
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 4200})
    assert await socket.receive_json_from() == {"type": "ack", "date": TODAY, "steps": 4200, "goal_reached": False}
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 5100, "distance_m": 3900, "floors": 4})
    assert await socket.receive_json_from() == {"type": "ack", "date": TODAY, "steps": 5100, "goal_reached": True}
    await socket.disconnect()
    assert await stored_total(user) == 5100


async def test_lower_count_on_the_socket_is_acked_with_the_higher_stored_total():
    user, access = await signed_in()
    socket, _ = await open_socket(token=access)
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 8000})
    await socket.receive_json_from()
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 300})
    assert (await socket.receive_json_from())["steps"] == 8000
    await socket.disconnect()
    assert await stored_total(user) == 8000


async def test_hours_and_source_are_stored_like_a_rest_sync():
    user, access = await signed_in()
    socket, _ = await open_socket(token=access)
    hours = [{"start": "2026-11-25T08:00:00Z", "steps": 900}, {"start": "2026-11-25T10:00:00+01:00", "steps": 700}]
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 1000, "hours": hours, "source": "watch-1"})
    assert (await socket.receive_json_from())["steps"] == 1600
    await socket.disconnect()
    sources = await database_sync_to_async(lambda: list(DailySteps.objects.values_list("source", flat=True)))()
    assert sources == ["watch-1"]
    assert await stored_total(user) == 1600


async def test_phone_signed_in_by_subprotocol_gets_bearer_back_and_an_ack():
    _, access = await signed_in()
    socket, subprotocol = await open_socket(bearer=access)
    # Browsers drop a socket whose server picks none of the offered protocols.
    assert subprotocol == "bearer"
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 10})
    assert (await socket.receive_json_from())["type"] == "ack"
    await socket.disconnect()


async def test_phone_app_without_an_origin_header_connects_with_its_token():
    _, access = await signed_in()
    socket, _ = await open_socket(token=access, origin=None)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_page_on_a_foreign_origin_is_refused():
    _, access = await signed_in()
    socket = websocket("/ws/steps/", token=access, origin="https://evil.example")
    connected, _ = await socket.connect()
    assert not connected


@database_sync_to_async
def expired_token() -> str:
    token = AccessToken.for_user(make_user())
    token.set_exp(from_time=NOW - timedelta(hours=1), lifetime=timedelta(minutes=15))
    return str(token)


@pytest.mark.parametrize("how", ["no token", "garbage query token", "garbage bearer", "expired", "inactive user"])
async def test_bad_or_missing_token_closes_4401_before_any_data(how):
    auth = {}
    if how == "garbage query token":
        auth = {"token": "not-a-jwt"}
    elif how == "garbage bearer":
        auth = {"bearer": "not-a-jwt"}
    elif how == "expired":
        auth = {"token": await expired_token()}
    elif how == "inactive user":
        user, access = await signed_in()
        user.is_active = False
        await database_sync_to_async(user.save)()
        auth = {"token": access}
    socket, _ = await open_socket(**auth)
    assert await closed_with(socket) == 4401
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 10})
    assert await socket.receive_nothing()
    assert not await database_sync_to_async(DailySteps.objects.exists)()
    await socket.disconnect()


@pytest.mark.parametrize(
    ("message", "fields"),
    [
        ({"steps": 100_001}, {"steps": ["Must be between 0 and 100,000."]}),
        ({"steps": "many"}, {"steps": ["A valid integer is required."]}),
        ({"date": "25/11/2026"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"date": "2026-12-25"}, {"date": ["Is in the future (your local today is 2026-11-25)."]}),
        ({"date": None}, {"date": ["This field is required."]}),
        ({"stepz": 5}, {"stepz": ["Unknown field."]}),
        ({"source": ""}, {"source": ["Must be 1 to 64 characters."]}),
        (
            {"hours": [{"start": "2026-11-25T08:00:00", "steps": 5}]},
            {"hours": {"0": {"start": ["Needs a time zone offset, e.g. 2026-11-25T08:00:00+09:00."]}}},
        ),
        (
            {"hours": [{"start": "2026-11-25T08:30:00Z", "steps": 5}]},
            {"hours": {"0": {"start": ["Must be the start of an hour at its own UTC offset."]}}},
        ),
    ],
)
async def test_invalid_message_is_answered_with_the_rest_validation_errors_and_stores_nothing(message, fields):
    user, access = await signed_in()
    socket, _ = await open_socket(token=access)
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 100, **message})
    answer = await socket.receive_json_from()
    assert answer["type"] == "error"
    assert answer["code"] == "validation_error"
    assert answer["fields"] == fields
    assert answer["message"]
    # The socket stays usable after a bad message.
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()
    assert await stored_total(user) is None


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type": "steps", "date": ', "malformed_request"),
        ("[1, 2, 3]", "malformed_request"),
        (b"\x00\x01binary", "malformed_request"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": ["steps"]}', "unknown_type"),
        ('{"date": "2026-11-25", "steps": 5}', "unknown_type"),
    ],
)
async def test_malformed_or_unknown_message_gets_an_error_and_the_socket_stays_open(frame, code):
    _, access = await signed_in()
    socket, _ = await open_socket(token=access)
    if isinstance(frame, bytes):
        await socket.send_to(bytes_data=frame)
    else:
        await socket.send_to(text_data=frame)
    answer = await socket.receive_json_from()
    assert (answer["type"], answer["code"]) == ("error", code)
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 10})
    assert (await socket.receive_json_from())["type"] == "ack"
    await socket.disconnect()


async def test_oversized_frame_closes_1009():
    _, access = await signed_in()
    socket, _ = await open_socket(token=access)
    await socket.send_to(text_data='{"type": "ping", "pad": "' + "x" * 64 * 1024 + '"}')
    assert await closed_with(socket) == 1009
    await socket.disconnect()


async def test_flood_is_told_to_slow_down_then_closed_4429():
    _, access = await signed_in()
    socket, _ = await open_socket(token=access)
    for _ in range(60):
        await socket.send_json_to({"type": "ping"})
    answers = []
    while (output := await socket.receive_output(timeout=2))["type"] == "websocket.send":
        answers.append(output["text"])
    assert output["code"] == 4429
    assert 20 <= answers.count('{"type": "pong"}') < 60
    assert sum('"code": "throttled"' in answer for answer in answers) == 1
    await socket.disconnect()


async def test_phone_keeps_syncing_while_redis_is_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    user, access = await signed_in()
    socket, _ = await open_socket(token=access)
    await socket.send_json_to({"type": "steps", "date": TODAY, "steps": 3300})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "ack",
        "date": TODAY,
        "steps": 3300,
        "goal_reached": False,
    }
    await socket.disconnect()
    assert await stored_total(user) == 3300
