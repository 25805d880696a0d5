"""Readers of other apps' exports, recognised from their content.

``open_export(path)`` takes an upload (a zip, or one bare file), lists what
in it can be read, and ``read_member`` streams one file's samples. Nothing
is ever extracted: zip members are read where they lie, so no name inside a
zip can write anywhere, and names that would leave the job's folder
(absolute, ``..``) are refused all the same, with the zip-bomb limits below.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import apple, fitbit, google, ours, samsung
from .samples import DayCount, HourCount, ReaderError, Sample

__all__ = ["DayCount", "Export", "Format", "HourCount", "Limits", "ReaderError", "Sample", "open_export"]

HEAD = 4096
# Marked for the catalogue only: translated where an error names it.
KNOWN = gettext_noop("Apple Health, Google Fit, Fitbit, Samsung Health, or ours")


class Format(StrEnum):
    APPLE_HEALTH = "apple_health"
    GOOGLE_FIT = "google_fit"
    FITBIT = "fitbit"
    SAMSUNG_HEALTH = "samsung_health"
    PEDOMETER = "pedometer"  # our own export


class Kind(StrEnum):
    """What one file is."""

    APPLE = "apple"
    GOOGLE_SUMMARY = "google_summary"
    GOOGLE_DAY = "google_day"
    GOOGLE_POINTS = "google_points"
    FITBIT_STEPS = "fitbit_steps"
    SAMSUNG_STEPS = "samsung_steps"
    OUR_HOURS = "our_hours"
    OUR_DAYS = "our_days"


FORMAT_OF = {
    Kind.APPLE: Format.APPLE_HEALTH,
    Kind.GOOGLE_SUMMARY: Format.GOOGLE_FIT,
    Kind.GOOGLE_DAY: Format.GOOGLE_FIT,
    Kind.GOOGLE_POINTS: Format.GOOGLE_FIT,
    Kind.FITBIT_STEPS: Format.FITBIT,
    Kind.SAMSUNG_STEPS: Format.SAMSUNG_HEALTH,
    Kind.OUR_HOURS: Format.PEDOMETER,
    Kind.OUR_DAYS: Format.PEDOMETER,
}

_FITBIT_NAME = re.compile(r"(^|/)steps-\d{4}-\d{2}-\d{2}\.json$")
_GOOGLE_DAY_NAME = re.compile(r"(^|/)\d{4}-\d{2}-\d{2}\.csv$")


def sniff(head: bytes, name: str) -> Kind | None:
    """What a file is, from its first bytes. Two kinds need the name as well:
    Fitbit writes steps, distance and calories in the very same shape (the
    name says ``steps-``), and a Google day file's date is only in its name."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if text.startswith("<"):
        return Kind.APPLE if "<HealthData" in text or "<!DOCTYPE HealthData" in text else None
    if text.startswith("{"):
        if '"Data Points"' in text or '"Data Source"' in text:
            return Kind.GOOGLE_POINTS if google.STEP_DELTA in text else None
        return None
    if text.startswith("["):
        return Kind.FITBIT_STEPS if '"dateTime"' in text and _FITBIT_NAME.search(name) else None
    if first_line.startswith(samsung.METADATA + ","):
        return Kind.SAMSUNG_STEPS
    columns = first_line.split(",")
    if columns == ours.HOURS_HEADER:
        return Kind.OUR_HOURS
    if columns[:2] == ours.DAYS_HEADER_START:
        return Kind.OUR_DAYS
    if "Step count" in columns:
        if columns[0] == "Date":
            return Kind.GOOGLE_SUMMARY
        if columns[:2] == ["Start time", "End time"] and _GOOGLE_DAY_NAME.search(name):
            return Kind.GOOGLE_DAY
    return None


@dataclass(frozen=True)
class Limits:
    uncompressed_bytes: int  # all members together
    ratio: int  # uncompressed / compressed, per member
    members: int = 200_000


@dataclass
class Member:
    name: str
    kind: Kind
    size: int  # uncompressed
    stored_size: int  # as it lies in the upload
    open: Callable[[], IO[bytes]] = field(repr=False)


class _Bounded:
    """A zip member's stream that stops at the size the zip declared: a member
    that inflates past it (a forged header) is refused, not believed."""

    def __init__(self, stream: IO[bytes], name: str, limit: int, on_read: Callable[[int], None] | None) -> None:
        self.stream, self.name, self.limit, self.on_read = stream, name, limit, on_read
        self.read_so_far = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise ReaderError(self.name, None, _("inflates past the size the zip declares for it: refused"))
        if self.on_read is not None:
            self.on_read(len(data))
        return data

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False

    def readinto(self, buffer) -> int:  # io.TextIOWrapper reads through this
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self.stream.close()

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and not re.match(r"^[A-Za-z]:", name)


@dataclass
class Export:
    """An upload opened for reading: the files in it that we can read."""

    path: Path
    members: list[Member]
    _zip: zipfile.ZipFile | None = None

    @property
    def format(self) -> Format:
        formats = {FORMAT_OF[member.kind] for member in self.members}
        # A Takeout may hold both Fit and Fitbit: the first one found names the job.
        return FORMAT_OF[self.members[0].kind] if len(formats) == 1 else sorted(formats)[0]

    @property
    def formats(self) -> list[str]:
        return sorted({FORMAT_OF[member.kind].value for member in self.members})

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_export(path: Path, *, label: str, limits: Limits) -> Export:
    """Opens an upload and finds the files we can read; ``label`` is how
    errors name the upload (its original file name). Raises ``ReaderError``
    for an unsafe zip or when nothing in it is a known export."""
    if zipfile.is_zipfile(path):
        return _open_zip(path, label, limits)
    with path.open("rb") as stream:
        head = stream.read(HEAD)
    kind = sniff(head, label)
    if kind is None:
        raise ReaderError(label, None, _("not an export we can read (%(formats)s)") % {"formats": _(KNOWN)})
    size = path.stat().st_size
    return Export(path, [Member(label, kind, size, size, lambda: path.open("rb"))])


def _open_zip(path: Path, label: str, limits: Limits) -> Export:
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ReaderError(label, None, _("a damaged zip (%(error)s)") % {"error": error}) from None
    try:
        if len(infos) > limits.members:
            raise ReaderError(label, None, _("more than %(count)s files in the zip") % {"count": f"{limits.members:,}"})
        total = 0
        members = []
        for info in infos:
            if not _safe_name(info.filename):
                raise ReaderError(
                    label,
                    None,
                    _("refused: %(file)s would leave the import's folder") % {"file": repr(info.filename[:100])},
                )
            if info.is_dir():
                continue
            total += info.file_size
            if total > limits.uncompressed_bytes:
                raise ReaderError(
                    label,
                    None,
                    _("refused: unzips to more than %(bytes)s bytes") % {"bytes": f"{limits.uncompressed_bytes:,}"},
                )
            if info.file_size > limits.ratio * max(info.compress_size, 1) and info.file_size > 1 << 20:
                raise ReaderError(
                    label,
                    None,
                    _("refused: %(file)s inflates more than %(ratio)s times (a zip bomb)")
                    % {"file": info.filename[:100], "ratio": limits.ratio},
                )
            if info.flag_bits & 0x1:
                raise ReaderError(label, None, _("%(file)s is encrypted") % {"file": info.filename[:100]})
            head = _head(archive, info, label)
            kind = sniff(head, info.filename)
            if kind is not None:
                members.append(
                    Member(info.filename, kind, info.file_size, info.compress_size, _opener(archive, info, label))
                )
        if not members:
            raise ReaderError(
                label, None, _("no export we can read in this zip (Apple Health, Google Fit, Fitbit, Samsung Health)")
            )
    except BaseException:
        archive.close()
        raise
    return Export(path, members, archive)


def _head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    try:
        with archive.open(info) as stream:
            return stream.read(HEAD)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        raise ReaderError(
            info.filename[:100],
            None,
            _("cannot be read from %(upload)s (%(error)s)") % {"upload": label, "error": error},
        ) from None


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        return archive.open(info)

    return open_member


def read_member(
    member: Member, *, zone: ZoneInfo, on_read: Callable[[int], None] | None = None
) -> Iterator[Sample | HourCount | DayCount]:
    """Streams one file's samples. ``on_read`` hears of each chunk of
    uncompressed bytes read (for progress)."""
    raw = member.open()
    stream = _Bounded(raw, member.name, member.size, on_read)
    try:
        kind = member.kind
        if kind is Kind.APPLE:
            yield from apple.read_apple_health(stream, member.name)  # type: ignore[arg-type]
        elif kind is Kind.GOOGLE_SUMMARY:
            yield from google.read_daily_summary(stream, member.name)  # type: ignore[arg-type]
        elif kind is Kind.GOOGLE_DAY:
            yield from google.read_day_intervals(stream, member.name)  # type: ignore[arg-type]
        elif kind is Kind.GOOGLE_POINTS:
            yield from google.read_data_points(stream, member.name, zone=zone)  # type: ignore[arg-type]
        elif kind is Kind.FITBIT_STEPS:
            yield from fitbit.read_fitbit_steps(stream, member.name, zone=zone)  # type: ignore[arg-type]
        elif kind is Kind.SAMSUNG_STEPS:
            yield from samsung.read_samsung_steps(stream, member.name)  # type: ignore[arg-type]
        elif kind is Kind.OUR_HOURS:
            yield from ours.read_our_hours(stream, member.name)  # type: ignore[arg-type]
        elif kind is Kind.OUR_DAYS:
            yield from ours.read_our_days(stream, member.name)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ReaderError(member.name, None, _("cannot be read (%(error)s)") % {"error": error}) from None
    finally:
        raw.close()
