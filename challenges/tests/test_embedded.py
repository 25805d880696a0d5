"""All six kinds on the embedded default (`make run`'s SQLite, in-memory
channel layer and cache, tasks inline, no Redis and no other process), end to
end through a real uvicorn: the API, the socket and the pages; and a
challenge past its grace window finalised by its first read.

The server runs on a SQLite file of its own; nothing here touches the test
database, so the test needs none.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets
from django.conf import settings

from pedometer_site.tests.servers import Server

PASSWORD = "correct-horse-battery"


@pytest.fixture
def embedded(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        DEBUG="true",
        SECRET_KEY="embedded-test-secret-long-enough-for-hs256-signing-keys-0123",
        LOG_LEVEL="WARNING",
        PASSWORD_HASHERS="django.contrib.auth.hashers.MD5PasswordHasher",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)  # noqa: S603 - our own manage.py
    server = Server(env=env)
    try:
        yield server.url, env
    finally:
        server.stop()


def register(client: httpx.Client, name: str) -> tuple[str, str]:
    body = {"email": f"{name.lower()}@example.com", "password": PASSWORD, "display_name": name, "timezone": "UTC"}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()["access"], response.json()["user"]["id"]


def as_user(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_six_kinds_end_to_end_on_the_embedded_default(embedded):
    url, env = embedded
    today = datetime.now(UTC).date()
    client = httpx.Client(base_url=url, timeout=20)
    (ada, ada_id), (bo, bo_id) = register(client, "Ada"), register(client, "Bo")

    def create(token: str, **fields) -> int:
        body = {"name": fields.get("kind", "x"), "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=2)).isoformat(), **fields}  # fmt: skip
        response = client.post("/api/v1/challenges", json=body, headers=as_user(token))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    ids = {
        "total": create(ada, kind="total"),
        "goal_days": create(ada, kind="goal_days", target=5_000),
        "streak": create(ada, kind="streak", target=5_000),
        "team": create(ada, kind="team", team_scoring="average"),
        "head_to_head": create(ada, kind="head_to_head", opponent=bo_id),
        "group_target": create(ada, kind="group_target", target=10_000),
    }
    for kind, challenge in ids.items():
        if kind == "team":
            reds = client.post(f"/api/v1/challenges/{challenge}/teams", json={"name": "Reds"}, headers=as_user(ada))
            blues = client.post(f"/api/v1/challenges/{challenge}/teams", json={"name": "Blues"}, headers=as_user(bo))
            for token, team in ((ada, reds), (bo, blues)):
                joined = client.post(f"/api/v1/challenges/{challenge}/join", json={"team": team.json()["id"]},
                                     headers=as_user(token))  # fmt: skip
                assert joined.status_code == 201, joined.text
        else:
            joined = client.post(f"/api/v1/challenges/{challenge}/join", json={}, headers=as_user(bo))
            assert joined.status_code == 201, joined.text

    async def watch_then_sync() -> list[dict]:
        socket_url = url.replace("http", "ws") + f"/ws/challenges/{ids['total']}/?token={ada}"
        async with websockets.connect(socket_url) as socket:
            snapshot = json.loads(await socket.recv())
            assert snapshot["type"] == "snapshot"
            async with httpx.AsyncClient(base_url=url, timeout=20) as phone:
                for token, steps in ((ada, 6_000), (bo, 4_000)):
                    body = {"source": "phone", "days": [{"date": today.isoformat(), "steps": steps}]}
                    response = await phone.post("/api/v1/steps/sync", json=body, headers=as_user(token))
                    assert response.status_code == 200, response.text
            seen: list[dict] = []
            while {row.get("name") for row in seen if row["scope"] == "people"} != {"Ada", "Bo"}:
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                assert message["type"] == "rows"
                seen += message["rows"]
            return seen

    rows = asyncio.run(watch_then_sync())
    assert {(row["name"], row["score"]) for row in rows if row["scope"] == "people"} >= {("Ada", 6_000), ("Bo", 4_000)}

    def board(kind: str, scope: str = "people") -> dict:
        response = client.get(f"/api/v1/challenges/{ids[kind]}/leaderboard", params={"scope": scope},
                              headers=as_user(ada))  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    def scores(kind: str, scope: str = "people") -> list[tuple[str, float]]:
        return [(entry["name"], entry["score"]) for entry in board(kind, scope)["entries"]]

    assert scores("total") == [("Ada", 6_000), ("Bo", 4_000)]
    assert scores("goal_days") == [("Ada", 1), ("Bo", 0)]
    assert scores("streak") == [("Ada", 1), ("Bo", 0)]
    assert scores("team", "teams") == [("Reds", 6_000), ("Blues", 4_000)]
    assert board("head_to_head")["summary"] == {"outcome": "win", "winner": ada_id}
    assert board("group_target")["summary"]["reached_on"] == today.isoformat()
    for challenge in ids.values():
        page = client.get(f"/challenges/{challenge}/", headers=as_user(ada))
        assert page.status_code == 200 and "Ada" in page.text

    # A challenge whose grace window is over: the first read freezes it, with no sweep running.
    past = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from datetime import date, timedelta; from challenges.models import *; from accounts.models import User;"
         "d = date.today() - timedelta(days=9);"
         "c = Challenge.objects.create(name='old', kind='total', starts_on=d, ends_on=d + timedelta(days=2),"
         " grace_hours=0); Participant.objects.create(challenge=c, user=User.objects.get(email='ada@example.com'));"
         "print(c.pk)"],
        cwd=settings.BASE_DIR, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    detail = client.get(f"/api/v1/challenges/{past}", headers=as_user(ada))
    assert detail.json()["state"] == "final"
    results = client.get(f"/api/v1/challenges/{past}/results", headers=as_user(ada))
    assert results.status_code == 200 and results.json()["entries"][0]["name"] == "Ada"
