"""The readers and the bucketing, on small files built to each format: no database."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imports.buckets import Buckets, by_day, split_in_hours
from imports.readers import Format, Limits, ReaderError, open_export, read_member
from imports.readers.samples import EPOCH_ORDINAL

from . import builders

LIMITS = Limits(uncompressed_bytes=1 << 30, ratio=200)
BERLIN = ZoneInfo("Europe/Berlin")
PLUS3 = timezone(timedelta(hours=3))
HEART_RATE = b'{"Data Source": "derived:com.google.heart_rate.bpm", "Data Points": []}'


def read(tmp_path: Path, data: bytes, name: str = "upload", zone: ZoneInfo = BERLIN, limits: Limits = LIMITS):
    """Reads an upload like a job does: per file, then the files' buckets max-merged."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    merged = Buckets()
    with open_export(path, label=name, limits=limits) as export:
        for member in export.members:
            one = Buckets()
            for item in read_member(member, zone=zone):
                one.add(item)
            merged.merge_max(one)
        return export.format, merged


def days(buckets: Buckets) -> dict[tuple[date, str], int]:
    return {
        (date.fromordinal(day + EPOCH_ORDINAL), source): counts.total
        for day, sources in by_day(buckets).items()
        for source, counts in sources.items()
    }


def hours(buckets: Buckets, source: str) -> dict[datetime, int]:
    out = {}
    for sources in by_day(buckets).values():
        if source in sources:
            out.update({datetime.fromtimestamp(s, tz=UTC): n for s, n in sources[source].hours.items()})
    return dict(sorted(out.items()))


def at(*args, tz=PLUS3) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- Splitting -----------------------------------------------------------------


def test_a_sample_across_an_hour_is_split_in_proportion_in_whole_steps():
    # 10:50 to 11:20: a third of the time in the first hour.
    assert split_in_hours(10 * 3600 + 50 * 60, 11 * 3600 + 20 * 60, 300) == [(10, 100), (11, 200)]
    # 7 steps over 10:20-12:20 is 2.33, 3.5 and 1.17: the one left over goes to the largest remainder.
    assert split_in_hours(10 * 3600 + 1200, 13 * 3600 - 2400, 7) == [(10, 2), (11, 4), (12, 1)]
    # Equal remainders: the earlier hour.
    assert split_in_hours(10 * 3600 + 1800, 11 * 3600 + 1800, 3) == [(10, 2), (11, 1)]


@given(
    start=st.integers(min_value=0, max_value=10 * 86400),
    length=st.integers(min_value=0, max_value=2 * 86400),
    steps=st.integers(min_value=0, max_value=100_000),
)
def test_the_parts_of_a_split_sample_always_add_up_to_it(start, length, steps):
    parts = split_in_hours(start, start + length, steps)
    assert sum(count for _, count in parts) == steps
    assert all(count >= 0 for _, count in parts)
    assert [hour for hour, _ in parts] == sorted({hour for hour, _ in parts})


# --- Apple Health ------------------------------------------------------------------


def test_apple_export_with_its_dtd_is_read_per_source_in_each_samples_own_offset(tmp_path):
    data = builders.apple_xml(
        [
            ("Apple Watch", at(2024, 3, 14, 10, 0), at(2024, 3, 14, 10, 10), 600),
            ("iPhone", at(2024, 3, 14, 10, 2), at(2024, 3, 14, 10, 12), 550),  # the same walk, counted twice
            ("Apple Watch", at(2024, 3, 14, 10, 50), at(2024, 3, 14, 11, 20), 300),
        ],
        extra=' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" unit="count/min" '
        'startDate="2024-03-14 10:00:00 +0300" endDate="2024-03-14 10:00:00 +0300" value="80"/>\n',
    )
    fmt, buckets = read(tmp_path, builders.zip_of({"apple_health_export/export.xml": data}), "export.zip")
    assert fmt is Format.APPLE_HEALTH
    assert buckets.records == 3  # the heart rate is not a step record
    assert days(buckets) == {(date(2024, 3, 14), "apple:Apple Watch"): 900, (date(2024, 3, 14), "apple:iPhone"): 550}
    assert hours(buckets, "apple:Apple Watch") == {
        datetime(2024, 3, 14, 7, tzinfo=UTC): 700,  # 10:00 +03:00
        datetime(2024, 3, 14, 8, tzinfo=UTC): 200,
    }


def test_a_sample_across_midnight_is_filed_on_both_local_days(tmp_path):
    data = builders.apple_xml([("Apple Watch", at(2024, 3, 14, 23, 30), at(2024, 3, 15, 0, 30), 1000)])
    _, buckets = read(tmp_path, data, "export.xml")
    assert days(buckets) == {
        (date(2024, 3, 14), "apple:Apple Watch"): 500,
        (date(2024, 3, 15), "apple:Apple Watch"): 500,
    }


def test_a_day_is_the_local_day_where_the_sample_was_not_where_the_user_is_now(tmp_path):
    tokyo = timezone(timedelta(hours=9))
    # 08:00 in Tokyo is still the 13th in Berlin, where the user lives now: it is the 14th's walk.
    data = builders.apple_xml([("iPhone", at(2024, 3, 14, 8, 0, tz=tokyo), at(2024, 3, 14, 8, 30, tz=tokyo), 2000)])
    _, buckets = read(tmp_path, data, "export.xml", zone=BERLIN)
    assert days(buckets) == {(date(2024, 3, 14), "apple:iPhone"): 2000}
    assert hours(buckets, "apple:iPhone") == {datetime(2024, 3, 13, 23, tzinfo=UTC): 2000}


def test_daylight_saving_change_keeps_each_hour_with_its_own_offset(tmp_path):
    cet, cest = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))
    # 2024-03-31 in Berlin: 01:30 CET, then the clock jumps from 02:00 to 03:00 CEST.
    data = builders.apple_xml(
        [
            ("iPhone", at(2024, 3, 31, 1, 30, tz=cet), at(2024, 3, 31, 1, 40, tz=cet), 100),
            ("iPhone", at(2024, 3, 31, 3, 10, tz=cest), at(2024, 3, 31, 3, 20, tz=cest), 200),
            ("iPhone", at(2024, 3, 31, 23, 50, tz=cest), at(2024, 3, 31, 23, 55, tz=cest), 50),
        ]
    )
    _, buckets = read(tmp_path, data, "export.xml")
    assert days(buckets) == {(date(2024, 3, 31), "apple:iPhone"): 350}
    assert hours(buckets, "apple:iPhone") == {
        datetime(2024, 3, 31, 0, tzinfo=UTC): 100,
        datetime(2024, 3, 31, 1, tzinfo=UTC): 200,
        datetime(2024, 3, 31, 21, tzinfo=UTC): 50,
    }


def test_a_billion_laughs_file_is_refused_at_once(tmp_path):
    started = time.monotonic()
    with pytest.raises(ReaderError, match=r"export.xml, line 3: refused: the file declares entities"):
        read(tmp_path, builders.BILLION_LAUGHS, "export.xml")
    assert time.monotonic() - started < 1


def test_an_external_entity_is_never_fetched(tmp_path):
    with pytest.raises(ReaderError, match="declares entities"):
        read(tmp_path, builders.EXTERNAL_ENTITY, "export.xml")


def test_a_malformed_apple_record_names_the_file_and_line(tmp_path):
    data = builders.apple_xml([("iPhone", at(2024, 3, 14, 10), at(2024, 3, 14, 10, 5), 10)]).replace(
        b'value="10"', b'value="ten"'
    )
    line = data[: data.index(b'value="ten"')].count(b"\n") + 1
    with pytest.raises(ReaderError) as refused:
        read(tmp_path, builders.zip_of({"apple_health_export/export.xml": data}), "export.zip")
    assert str(refused.value) == f"apple_health_export/export.xml, line {line}: 'ten' is not a step count"


def test_broken_xml_names_the_line(tmp_path):
    data = builders.apple_xml([("iPhone", at(2024, 3, 14, 10), at(2024, 3, 14, 10, 5), 10)])[:-20] + b"<Record <\n"
    with pytest.raises(ReaderError, match=r"export.xml, line \d+: not well-formed XML"):
        read(tmp_path, data, "export.xml")


# --- Zips --------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_anything_is_inflated(tmp_path):
    started = time.monotonic()
    with pytest.raises(ReaderError, match="inflates more than 200 times"):
        read(tmp_path, builders.zip_bomb(), "export.zip")
    assert time.monotonic() - started < 2


def test_a_zip_over_the_uncompressed_limit_is_refused(tmp_path):
    data = builders.zip_of({"a/export.xml": b"x" * 3000, "b/export.xml": b"y" * 3000})
    with pytest.raises(ReaderError, match="unzips to more than 5,000 bytes"):
        read(tmp_path, data, "export.zip", limits=Limits(uncompressed_bytes=5000, ratio=200))


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil", "/etc/passwd", "a/../../b.xml", "C:\\evil.xml"])
def test_a_zip_whose_paths_would_leave_the_job_folder_is_refused(tmp_path, name):
    with pytest.raises(ReaderError, match="would leave the import's folder"):
        read(tmp_path, builders.zip_of({name: builders.apple_xml([])}), "export.zip")


def test_a_file_we_cannot_read_says_so(tmp_path):
    with pytest.raises(ReaderError, match=r"notes\.txt: not an export we can read"):
        read(tmp_path, b"hello\n", "notes.txt")
    with pytest.raises(ReaderError, match="no export we can read in this zip"):
        read(tmp_path, builders.zip_of({"notes.txt": b"hello"}), "notes.zip")


# --- Google, Fitbit, Samsung ---------------------------------------------------------------


def test_google_takeout_reads_the_daily_csvs_and_the_data_points_per_origin(tmp_path):
    pixel = "raw:com.google.step_count.delta:com.google.android.gms:Google:Pixel 7:a1b2:step_counter"
    utc1 = timezone(timedelta(hours=1))
    takeout = builders.zip_of(
        {
            "Takeout/Fit/Daily activity metrics/Daily activity metrics.csv": builders.google_summary(
                [("2024-03-13", 4000, 3000), ("2024-03-14", 8421, 6100)]
            ),
            "Takeout/Fit/Daily activity metrics/2024-03-14.csv": builders.google_day(
                [("10:00:00.000+01:00", "10:15:00.000+01:00", 900), ("23:45:00.000+01:00", "00:00:00.000+01:00", 100)]
            ),
            "Takeout/Fit/All data/raw_com.google.step_count.delta_pixel.json": builders.google_points(
                [(pixel, at(2024, 3, 14, 10, 50, tz=utc1), at(2024, 3, 14, 11, 10, tz=utc1), 400)]
            ),
            # The merged stream repeats the phone's point: another account of the same steps, not more steps.
            "Takeout/Fit/All data/derived_com.google.step_count.delta_merged.json": builders.google_points(
                [(pixel, at(2024, 3, 14, 10, 50, tz=utc1), at(2024, 3, 14, 11, 10, tz=utc1), 400)]
            ),
            "Takeout/Fit/All data/derived_com.google.heart_rate.bpm.json": HEART_RATE,
        }
    )
    fmt, buckets = read(tmp_path, takeout, "takeout.zip")
    assert fmt is Format.GOOGLE_FIT
    assert days(buckets) == {
        (date(2024, 3, 13), "google:fit"): 4000,
        (date(2024, 3, 14), "google:fit"): 8421,  # the summary; its intervals add up to less
        (date(2024, 3, 14), "google:com.google.android.gms:Google:Pixel 7:a1b2:step_counter"): 400,
    }
    assert buckets.distances["google:fit"][date(2024, 3, 14).toordinal() - EPOCH_ORDINAL] == 6100
    assert hours(buckets, "google:fit") == {
        datetime(2024, 3, 14, 9, tzinfo=UTC): 900,
        datetime(2024, 3, 14, 22, tzinfo=UTC): 100,
    }


def test_fitbit_minutes_are_read_on_the_wall_clock_of_the_users_zone(tmp_path):
    data = builders.fitbit_steps([("03/14/24 10:00:00", "52"), ("03/14/24 10:01:00", "0"), ("03/14/24 23:59:00", "8")])
    fmt, buckets = read(tmp_path, builders.zip_of({"Fitbit/Global Export Data/steps-2024-03-14.json": data}))
    assert fmt is Format.FITBIT
    assert days(buckets) == {(date(2024, 3, 14), "fitbit"): 60}
    assert hours(buckets, "fitbit") == {
        datetime(2024, 3, 14, 9, tzinfo=UTC): 52,  # 10:00 in Berlin, CET
        datetime(2024, 3, 14, 22, tzinfo=UTC): 8,
    }


def test_fitbit_files_of_other_measures_are_left_alone(tmp_path):
    files = {
        "Fitbit/Global Export Data/steps-2024-03-14.json": builders.fitbit_steps([("03/14/24 10:00:00", "52")]),
        "Fitbit/Global Export Data/distance-2024-03-14.json": builders.fitbit_steps([("03/14/24 10:00:00", "9000")]),
    }
    _, buckets = read(tmp_path, builders.zip_of(files))
    assert days(buckets) == {(date(2024, 3, 14), "fitbit"): 52}


def test_a_malformed_fitbit_row_names_the_file_and_line(tmp_path):
    data = b'[\n{"dateTime": "03/14/24 10:00:00", "value": "52"},\n{"dateTime": "14.03.2024", "value": "1"}\n]'
    with pytest.raises(ReaderError) as refused:
        read(tmp_path, builders.zip_of({"Fitbit/Global Export Data/steps-2024-03-14.json": data}))
    assert str(refused.value) == (
        "Fitbit/Global Export Data/steps-2024-03-14.json, line 3: '14.03.2024' is not a time like 03/14/24 10:00:00"
    )


def test_samsung_counts_are_filed_by_their_time_offset_per_device(tmp_path):
    data = builders.samsung_steps(
        [
            ("2024-03-13 23:10:00.000", "2024-03-13 23:11:00.000", 120, "UTC+0900", "Mf1y0OWbMy"),  # 08:10 on the 14th
            ("2024-03-14 01:59:30.000", "2024-03-14 02:00:30.000", 60, "UTC+0900", "Mf1y0OWbMy"),
            ("2024-03-14 02:00:00.000", "2024-03-14 02:01:00.000", 30, "UTC+0900", "watch-2"),
        ]
    )
    fmt, buckets = read(tmp_path, data, "com.samsung.shealth.tracker.pedometer_step_count.20240315101010.csv")
    assert fmt is Format.SAMSUNG_HEALTH
    assert days(buckets) == {(date(2024, 3, 14), "samsung:Mf1y0OWbMy"): 180, (date(2024, 3, 14), "samsung:watch-2"): 30}
    assert hours(buckets, "samsung:Mf1y0OWbMy") == {
        datetime(2024, 3, 13, 23, tzinfo=UTC): 120,
        datetime(2024, 3, 14, 1, tzinfo=UTC): 30,
        datetime(2024, 3, 14, 2, tzinfo=UTC): 30,
    }


def test_a_samsung_file_without_its_metadata_line_is_refused_naming_the_line(tmp_path):
    data = b"\n".join(builders.samsung_steps([]).split(b"\n")[1:])
    with pytest.raises(ReaderError, match="no export we can read"):
        read(tmp_path, builders.zip_of({"x.csv": data}))
