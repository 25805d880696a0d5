"""Small files built to each export format, as the apps write them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime
from xml.sax.saxutils import quoteattr

APPLE_DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
]>
"""


def apple_time(moment: datetime) -> str:
    """Apple's "2024-03-14 10:00:00 +0300"."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def apple_record(source: str, start: datetime, end: datetime, steps: int | str, kind: str = "StepCount") -> str:
    return (
        f' <Record type="HKQuantityTypeIdentifier{kind}" sourceName={quoteattr(source)} sourceVersion="17.2" '
        f'device="&lt;&lt;HKDevice: 0x283a&gt;, name:{source}&gt;" unit="count" '
        f'creationDate="{apple_time(end)}" startDate="{apple_time(start)}" endDate="{apple_time(end)}" '
        f'value="{steps}">\n  <MetadataEntry key="HKMetadataKeySyncVersion" value="1"/>\n </Record>\n'
    )


def apple_xml(records: Iterable[tuple[str, datetime, datetime, int]], *, extra: str = "") -> bytes:
    body = "".join(apple_record(*record) for record in records)
    return (
        f'{APPLE_DTD}<HealthData locale="en_US">\n <ExportDate value="2026-11-30 10:00:00 +0100"/>\n'
        f' <Me HKCharacteristicTypeIdentifierDateOfBirth=""/>\n{extra}{body}</HealthData>\n'
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<HealthData locale="en_US"><Record type="HKQuantityTypeIdentifierStepCount" sourceName="&lol9;"
 startDate="2024-03-14 10:00:00 +0000" endDate="2024-03-14 10:05:00 +0000" value="1"/></HealthData>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<HealthData locale="en_US"><Record type="HKQuantityTypeIdentifierStepCount" sourceName="&secret;"
 startDate="2024-03-14 10:00:00 +0000" endDate="2024-03-14 10:05:00 +0000" value="1"/></HealthData>
"""


def google_points(points: Iterable[tuple[str, datetime, datetime, int]]) -> bytes:
    """All data/derived_com.google.step_count.delta_....json"""
    data_points = [
        {
            "fitValue": [{"value": {"intVal": steps}}],
            "originDataSourceId": origin,
            "endTimeNanos": int(end.timestamp()) * 1_000_000_000,
            "dataTypeName": "com.google.step_count.delta",
            "startTimeNanos": int(start.timestamp()) * 1_000_000_000,
            "modifiedTimeMillis": int(end.timestamp()) * 1000,
            "rawTimestampNanos": 0,
        }
        for origin, start, end, steps in points
    ]
    return json.dumps(
        {
            "Data Source": "derived:com.google.step_count.delta:com.google.android.gms:merge_step_deltas",
            "Data Points": data_points,
        },
        indent=2,
    ).encode()


GOOGLE_SUMMARY_HEADER = (
    "Date,Move Minutes count,Calories (kcal),Distance (m),Heart Points,Heart Minutes,"
    "Average heart rate (bpm),Max heart rate (bpm),Min heart rate (bpm),Average speed (m/s),"
    "Max speed (m/s),Min speed (m/s),Step count,Walking duration (ms)"
)


def google_summary(rows: Iterable[tuple[str, int, int]]) -> bytes:
    """Daily activity metrics.csv: (date, steps, distance_m)."""
    lines = [GOOGLE_SUMMARY_HEADER]
    lines += [f"{day},40,1900.5,{distance},12,10,,,,1.1,2.0,0.3,{steps},3600000" for day, steps, distance in rows]
    return ("\n".join(lines) + "\n").encode()


GOOGLE_DAY_HEADER = (
    "Start time,End time,Move Minutes count,Calories (kcal),Distance (m),Heart Points,Heart Minutes,"
    "Average speed (m/s),Max speed (m/s),Min speed (m/s),Step count,Walking duration (ms)"
)


def google_day(rows: Iterable[tuple[str, str, int | str]]) -> bytes:
    """Daily activity metrics/2024-03-14.csv: (start, end, steps) like ("10:00:00.000+01:00", ...)."""
    lines = [GOOGLE_DAY_HEADER] + [
        f"{start},{end},1,20.1,100,,,1.0,1.2,0.8,{steps},60000" for start, end, steps in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def fitbit_steps(rows: Iterable[tuple[str, str]]) -> bytes:
    """Global Export Data/steps-2024-03-14.json: ("03/14/24 10:00:00", "52")."""
    return json.dumps([{"dateTime": when, "value": value} for when, value in rows]).encode()


SAMSUNG_COLUMNS = [
    "source",
    "tracking_time",
    "com.samsung.health.step_count.create_sh_ver",
    "com.samsung.health.step_count.start_time",
    "com.samsung.health.step_count.sample_position_type",
    "com.samsung.health.step_count.custom",
    "com.samsung.health.step_count.update_time",
    "com.samsung.health.step_count.create_time",
    "com.samsung.health.step_count.count",
    "com.samsung.health.step_count.speed",
    "com.samsung.health.step_count.distance",
    "com.samsung.health.step_count.calorie",
    "com.samsung.health.step_count.time_offset",
    "com.samsung.health.step_count.deviceuuid",
    "com.samsung.health.step_count.pkg_name",
    "com.samsung.health.step_count.end_time",
    "com.samsung.health.step_count.datauuid",
]


def samsung_steps(rows: Iterable[tuple[str, str, int, str, str]]) -> bytes:
    """(start UTC "2024-03-14 01:00:00.000", end UTC, count, "UTC+0900", deviceuuid)."""
    lines = ["com.samsung.shealth.tracker.pedometer_step_count,6313005,17", ",".join(SAMSUNG_COLUMNS) + ","]
    for start, end, count, offset, device in rows:
        lines.append(
            f"0,,6313005,{start},,,{start},{start},{count},1.3,{count * 0.7:.1f},{count * 0.04:.2f},"
            f"{offset},{device},com.sec.android.app.shealth,{end},uuid-{start[:10]}-{count},"
        )
    return ("\n".join(lines) + "\n").encode()


def zip_of(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(size: int = 64 << 20) -> bytes:
    """One member of zeros that deflates about a thousand times."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("apple_health_export/export.xml", "w") as member,
    ):
        member.write(apple_xml([]).replace(b"</HealthData>\n", b""))
        chunk = b" " * (1 << 20)
        for _ in range(size >> 20):
            member.write(chunk)
    return buffer.getvalue()
