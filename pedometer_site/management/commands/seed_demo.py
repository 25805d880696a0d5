"""Demo data for the embedded default: 150 walkers (more than a board page), a month of steps, a few
friendships, a group with a challenge of each kind (and a final one), and a
staff account. Safe to run again: it adds nothing twice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Friendship, FriendshipStatus, Language, User, Visibility
from accounts.services import user_update
from challenges.demo import seed_challenges
from steps.local_days import local_day_bounds, local_today
from steps.services import DaySample, HourSample, record_steps

STAFF_EMAIL = "staff@example.com"
STAFF_PASSWORD = "walk-the-talk-2026"  # noqa: S105 - printed for the local demo on purpose
STAFF_KO_EMAIL = "staff-ko@example.com"  # the same password; sees the admin in Korean
DEMO_PASSWORD = "demo-walker-2026"  # noqa: S105
# The account whose personal page (/me/) shows every feature: a running streak,
# a goal raised 12 days ago (the goal line steps up), and days with no data.
DEMO_EMAIL = "demo@example.com"
DEMO_GOAL_BEFORE, DEMO_GOAL = 8_000, 10_000
DEMO_GOAL_CHANGED_DAYS_AGO = 12
# Steps by how many days ago (None: nothing synced that day). Today is under way;
# the five days before it reached the goal; 14-16 and 23 days ago are gaps.
DEMO_WALK: list[int | None] = [
    6_400, 11_200, 10_300, 12_800, 10_050, 13_400, 7_900, 9_100, 4_200, 10_600,
    11_900, 8_700, 10_200, 9_400, None, None, None, 8_600, 9_900, 8_100,
    12_500, 0, 8_300, None, 7_200, 8_800, 9_000, 5_600, 10_400, 8_900,
]  # fmt: skip
DEMO_USERS = 150  # more than the board's 100 rows a page: paging and "jump to my row" show
DEMO_DAYS = 30
DEMO_SOURCE = "demo-phone"
# Each walker befriends the walkers this many places after them (wrapping round).
FRIEND_OFFSETS = (1, 2, 7)
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
        now = timezone.now()
        with transaction.atomic():
            users = self._users(rng)
            self._staff()
            friendships = self._friendships(users, now)
        with transaction.atomic():  # one commit, not fifty: seconds on SQLite
            for user in users:
                self._steps(user, now)
            self._demo_walker(now)
        with transaction.atomic():
            challenges = seed_challenges(users=users, now=now)
        self.stdout.write(
            f"Demo data ready: {len(users)} walkers, {DEMO_DAYS} days of steps, {friendships} friendships, "
            f"{challenges} new challenges (/challenges/)."
        )
        self.stdout.write(f"Staff sign-in at /admin/: {STAFF_EMAIL} / {STAFF_PASSWORD} ({STAFF_KO_EMAIL}: in Korean)")
        self.stdout.write(f"Any walker signs in with walker<N>@example.com / {DEMO_PASSWORD}")
        self.stdout.write(
            f"The personal page (/me/) with a streak, a goal change and gaps: {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )

    def _users(self, rng: random.Random) -> list[User]:
        users = []
        password_hash = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: once, not 50 times
        for n in range(1, DEMO_USERS + 1):
            email = f"walker{n}@example.com"
            user = User.objects.filter(email=email).first()
            if user is None:
                name = f"{FIRST_NAMES[(n - 1) % len(FIRST_NAMES)]} {chr(ord('A') + (n - 1) // len(FIRST_NAMES))}."
                zone = rng.choice(TIMEZONES)
                user = User.objects.create(
                    email=email,
                    password=password_hash,
                    display_name=name,
                    timezone=zone,
                    # Seoul's walkers read the site, its messages and their pushes in Korean.
                    language=Language.KOREAN if zone == "Asia/Seoul" else "",
                    daily_goal=rng.choice([6_000, 8_000, 10_000, 10_000, 12_000]),
                    visibility=rng.choices(list(Visibility), weights=[8, 1, 1])[0],
                )
            users.append(user)
        return users

    def _demo_walker(self, now: datetime) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                DEMO_EMAIL,
                DEMO_PASSWORD,
                display_name="Demo Walker",
                timezone="Asia/Seoul",
                daily_goal=DEMO_GOAL_BEFORE,
            )
            # Through the profile service, as a person would: the days before keep the old goal.
            user_update(user=user, daily_goal=DEMO_GOAL, now=now - timedelta(days=DEMO_GOAL_CHANGED_DAYS_AGO))
        today = local_today(user, now)
        days = [
            DaySample(day=today - timedelta(days=ago), steps=steps, distance_m=int(steps * 0.76))
            for ago, steps in enumerate(DEMO_WALK)
            if steps is not None
        ]
        record_steps(user=user, days=days, source=DEMO_SOURCE, now=now, max_age_days=None)

    def _staff(self) -> None:
        if not User.objects.filter(email=STAFF_EMAIL).exists():
            User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD, display_name="Staff")
        if not User.objects.filter(email=STAFF_KO_EMAIL).exists():
            User.objects.create_superuser(
                STAFF_KO_EMAIL, STAFF_PASSWORD, display_name="운영자", language=Language.KOREAN
            )

    def _steps(self, user: User, now: datetime) -> None:
        """A month of days and today's hours. Each value depends only on the walker
        and the day, so a second run stores nothing new (max-wins), except that
        today grows as the day goes on, the way a phone's count does."""
        today = local_today(user, now)
        level = random.Random(user.email).randint(3_000, 14_000)  # noqa: S311 - demo data
        days = []
        for offset in range(DEMO_DAYS):
            day = today - timedelta(days=offset)
            rng = random.Random(f"{user.email}/{day.isoformat()}")  # noqa: S311 - demo data
            steps = max(0, int(rng.gauss(level, level * 0.35)))
            days.append(
                DaySample(day=day, steps=min(steps, 45_000), distance_m=int(steps * 0.76), floors=rng.randint(0, 25))
            )
        # Today so far: spread over the hours since 07:00 local time.
        day_start, _ = local_day_bounds(user, today)
        hours_gone = int((now - day_start).total_seconds() // 3600)
        walking_hours = [day_start + timedelta(hours=h) for h in range(7, min(hours_gone, 22) + 1)]
        today_full = days[0].steps
        today_so_far = today_full * len(walking_hours) // 16
        per_hour = today_so_far // len(walking_hours) if walking_hours else 0
        floors_so_far = (days[0].floors or 0) * len(walking_hours) // 16
        days[0] = DaySample(day=today, steps=today_so_far, distance_m=int(today_so_far * 0.76), floors=floors_so_far)
        hours = [HourSample(start=start, steps=min(per_hour, 9_000)) for start in walking_hours]
        record_steps(user=user, days=days, hours=hours, source=DEMO_SOURCE, now=now, max_age_days=None)

    def _friendships(self, users: list[User], now: datetime) -> int:
        pairs = set()
        for index, user in enumerate(users):
            for offset in FRIEND_OFFSETS:
                other = users[(index + offset) % len(users)]
                pairs.add((user.pk, other.pk) if user.pk < other.pk else (other.pk, user.pk))
        pks = [user.pk for user in users]
        existing = {
            tuple(sorted(pair))
            for pair in Friendship.objects.filter(Q(from_user__in=pks) & Q(to_user__in=pks)).values_list(
                "from_user", "to_user"
            )
        }
        Friendship.objects.bulk_create(
            Friendship(from_user_id=a, to_user_id=b, status=FriendshipStatus.ACCEPTED, created_at=now, accepted_at=now)
            for a, b in sorted(pairs - existing)
        )
        return len(pairs)
