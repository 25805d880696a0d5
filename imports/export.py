"""Everything we hold about one person, as a zip written while it is sent.

Nothing is built in memory first: rows are read in chunks and each file of
the zip is compressed into a small buffer that is handed to the response as
it fills. ``days.csv`` and ``hours.csv`` are what the importer reads back
(``imports.readers.ours``), so the zip is also a way to move an account.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from accounts.models import Device, Friendship, FriendshipStatus, User
from notifications.models import Notification
from steps.models import DailySteps, DayTotal, HourlySteps

FORMAT = "pedometer-export"
VERSION = 1
ROWS_PER_READ = 2000

README = """\
Your pedometer export
=====================

profile.json                 your account: id, email, display name, time zone, daily goal, visibility.
days.csv                     one row per day with steps:
                               date       your local calendar day (YYYY-MM-DD)
                               total      the day's steps: the largest count of any one source
                                          (two devices on one walk are not added up)
                               <source>   one column per source (a phone, a watch, an import such as
                                          "apple:Apple Watch"): that source's count for the day; empty when none
hours.csv                    one row per source and hour:
                               start      the hour's start, UTC (ISO 8601)
                               date       the local day the hour is filed on
                               source     as in days.csv
                               steps      that source's steps in the hour
friends.json                 your friends and pending requests: id, display name, status, direction, since
groups_and_challenges.json   groups and challenges you are in (none yet)
devices.json                 devices registered for pushes (push tokens are left out)
notifications.json           pushes we owed you: day, kind, status, steps, goal, when

Import this zip into another account (POST /api/v1/imports) and it gets the same days.
"""


class _Sink(io.RawIOBase):
    """Where zipfile writes; the response takes what collected since the last look."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode()


def _csv_line(row: Iterable[object]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(row)
    return text.getvalue().encode()


def _profile(user: User, now: datetime) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "user": {
            "id": str(user.uuid),
            "email": user.email,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "daily_goal": user.daily_goal,
            "visibility": user.visibility,
            "date_joined": user.date_joined.isoformat(),
        },
    }


def _days_csv(user: User) -> Iterator[bytes]:
    sources = sorted(DailySteps.objects.filter(user=user).values_list("source", flat=True).distinct())
    yield _csv_line(["date", "total", *sources])
    totals = DayTotal.objects.filter(user=user).order_by("day").values_list("day", "steps")
    rows = DailySteps.objects.filter(user=user).order_by("day", "source").values_list("day", "source", "steps")
    per_source = iter(rows.iterator(chunk_size=ROWS_PER_READ))
    pending = next(per_source, None)
    for day, total in totals.iterator(chunk_size=ROWS_PER_READ):
        counts: dict[str, int] = {}
        while pending is not None and pending[0] <= day:
            if pending[0] == day:
                counts[pending[1]] = pending[2]
            pending = next(per_source, None)
        yield _csv_line([day.isoformat(), total, *(counts.get(source, "") for source in sources)])


def _hours_csv(user: User) -> Iterator[bytes]:
    yield _csv_line(["start", "date", "source", "steps"])
    rows = (
        HourlySteps.objects.filter(user=user)
        .order_by("hour_start", "source")
        .values_list("hour_start", "day", "source", "steps")
    )
    for start, day, source, steps in rows.iterator(chunk_size=ROWS_PER_READ):
        yield _csv_line([start.astimezone(UTC).isoformat(), day.isoformat(), source, steps])


def _friends(user: User) -> list[dict]:
    rows = Friendship.objects.filter(Q(from_user=user) | Q(to_user=user)).select_related("from_user", "to_user")
    out = []
    for row in rows.order_by("created_at"):
        other = row.to_user if row.from_user_id == user.pk else row.from_user
        out.append(
            {
                "id": str(other.uuid),
                "display_name": other.display_name,
                "status": row.status,
                "direction": "sent" if row.from_user_id == user.pk else "received",
                "since": (row.accepted_at if row.status == FriendshipStatus.ACCEPTED else row.created_at),
            }
        )
    return out


def _devices(user: User) -> list[dict]:
    return [
        {
            "id": str(device.uuid),
            "platform": device.platform,
            "app_version": device.app_version,
            "locale": device.locale,
            "active": device.is_active,
            "created_at": device.created_at,
            "last_seen_at": device.last_seen_at,
        }
        for device in Device.objects.filter(user=user).order_by("created_at")
    ]


def _notifications(user: User) -> list[dict]:
    return [
        dict(row)
        for row in Notification.objects.filter(user=user)
        .order_by("created_at")
        .values("day", "kind", "status", "steps", "goal", "created_at", "sent_at")
    ]


def export_zip(*, user: User, now: datetime) -> Iterator[bytes]:
    """The zip's bytes, a piece at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def whole(name: str, data: bytes) -> bytes:
            archive.writestr(name, data)
            return sink.take()

        yield whole("README.txt", README.encode())
        yield whole("profile.json", _json(_profile(user, now)))
        for name, lines in (("days.csv", _days_csv(user)), ("hours.csv", _hours_csv(user))):
            with archive.open(name, "w", force_zip64=True) as member:
                for line in lines:
                    member.write(line)
                    if sink.offset and len(sink.parts) > 16:
                        yield sink.take()
            yield sink.take()
        yield whole("friends.json", _json(_friends(user)))
        yield whole("groups_and_challenges.json", _json([]))
        yield whole("devices.json", _json(_devices(user)))
        yield whole("notifications.json", _json(_notifications(user)))
    yield sink.take()
