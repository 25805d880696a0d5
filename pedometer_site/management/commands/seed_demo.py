"""Demo data for the embedded default: 50 walkers, a month of steps, a few
friendships, and a staff account. Safe to run again: it adds nothing twice."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User, Visibility

STAFF_EMAIL = "staff@example.com"
STAFF_PASSWORD = "walk-the-talk-2026"  # noqa: S105 - printed for the local demo on purpose
DEMO_PASSWORD = "demo-walker-2026"  # noqa: S105
DEMO_USERS = 50
TIMEZONES = ["UTC", "Europe/Berlin", "Asia/Seoul", "America/New_York", "America/Los_Angeles", "Australia/Sydney"]
FIRST_NAMES = [
    "Ada", "Bo", "Chen", "Dana", "Emil", "Fatima", "Gus", "Hana", "Ivan", "Jun",
    "Kemi", "Lars", "Mina", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tara",
    "Uma", "Viktor", "Wen", "Xavi", "Yuna",
]  # fmt: skip


class Command(BaseCommand):
    help = "Load demo users (and their steps and friends, where those apps provide them). Idempotent."

    def handle(self, *args, **options) -> None:
        rng = random.Random(2026)  # noqa: S311 - the same demo every time; nothing secret
        with transaction.atomic():
            users = self._users(rng)
            self._staff()
        self.stdout.write(f"Demo data ready: {len(users)} walkers.")
        self.stdout.write(f"Staff sign-in at /admin/: {STAFF_EMAIL} / {STAFF_PASSWORD}")
        self.stdout.write(f"Any walker signs in with walker<N>@example.com / {DEMO_PASSWORD}")

    def _users(self, rng: random.Random) -> list[User]:
        users = []
        password_hash = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: once, not 50 times
        for n in range(1, DEMO_USERS + 1):
            email = f"walker{n}@example.com"
            user = User.objects.filter(email=email).first()
            if user is None:
                name = f"{FIRST_NAMES[(n - 1) % len(FIRST_NAMES)]} {chr(ord('A') + (n - 1) // len(FIRST_NAMES))}."
                user = User.objects.create(
                    email=email,
                    password=password_hash,
                    display_name=name,
                    timezone=rng.choice(TIMEZONES),
                    daily_goal=rng.choice([6_000, 8_000, 10_000, 10_000, 12_000]),
                    visibility=rng.choices(list(Visibility), weights=[8, 1, 1])[0],
                )
            users.append(user)
        return users

    def _staff(self) -> None:
        if not User.objects.filter(email=STAFF_EMAIL).exists():
            User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD, display_name="Staff")
