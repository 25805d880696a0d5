"""A demo walker who keeps walking: every few seconds it syncs a little more
for today through the API of a running server, so the board at / moves on
its own. Off unless started (`make demo-walker`, beside `make run`).

Through the API, not the ORM: on the embedded default the board feed and
the channel layer live in the server's process, so only a write that server
makes reaches its pages (as a phone's would)."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandParser

from .seed_demo import DEMO_PASSWORD

SOURCE = "demo-walker"


class Command(BaseCommand):
    help = "Sync a little more for a demo walker every few seconds, through a running server's API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
        parser.add_argument("--email", default="walker1@example.com", help="a walker seed_demo made")
        parser.add_argument("--every", type=float, default=3.0, help="seconds between syncs")
        parser.add_argument("--stride", type=int, default=400, help="steps added per sync")
        parser.add_argument("--times", type=int, default=0, help="stop after this many syncs (0: never)")

    def handle(self, *args, url: str, email: str, every: float, stride: int, times: int, **options) -> None:
        signed_in = self._post(f"{url}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD})
        token, zone = signed_in["access"], ZoneInfo(signed_in["user"]["timezone"])
        steps, done = 0, 0
        while not times or done < times:
            today = datetime.now(zone).date()
            steps += stride
            body = {"source": SOURCE, "days": [{"date": today.isoformat(), "steps": steps}]}
            stored = self._post(f"{url}/api/v1/steps/sync", body, token=token)["days"][0]["steps"]
            # Max-wins: the day keeps the demo phone's count until this one passes it.
            steps = max(steps, stored)
            self.stdout.write(f"{email}: {stored:,} steps on {today}")
            done += 1
            if not times or done < times:
                time.sleep(every)
            if datetime.now(zone).date() != today:
                steps = 0
            if done % 200 == 0:  # access tokens last 15 minutes
                token = self._post(f"{url}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD})["access"]

    def _post(self, url: str, body: dict, *, token: str = "") -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a URL the operator gave
            return json.loads(response.read())
