"""Apple Health: ``apple_health_export/export.xml``.

    <!DOCTYPE HealthData [ ...an internal DTD... ]>
    <HealthData locale="en_US">
     <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Apple Watch"
             startDate="2024-03-14 10:00:00 +0300" endDate="2024-03-14 10:05:00 +0300" value="120"/>

Real exports run to gigabytes, so the file is pushed through the parser in
chunks and no tree is built: one callback per element, step records kept,
everything else (heart rate, workouts, metadata) dropped as it passes.

Safety: defusedxml's parser. The internal DTD real exports open with is
accepted; any entity declaration (the billion laughs) is refused the moment
it is declared, before anything is expanded, and external entities and DTDs
are never fetched. (Rejected: lxml with resolve_entities=False, a C build
for one feature; the standard library alone, whose parser expands entities.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _

from .samples import EPOCH_ORDINAL, ReaderError, Sample, parse_count, source_label

STEP_TYPE = "HKQuantityTypeIdentifierStepCount"
CHUNK = 1 << 20


class _Instants:
    """Apple's "2024-03-14 10:00:00 +0300" -> (UTC epoch seconds, offset minutes),
    without a datetime per record; the calendar day's ordinal is cached."""

    def __init__(self) -> None:
        self._days: dict[str, int] = {}

    def parse(self, text: str) -> tuple[int, int]:
        if len(text) != 25 or text[4] != "-" or text[10] != " " or text[19] != " " or text[20] not in "+-":
            raise ValueError(text)
        day = self._days.get(text[:10])
        if day is None:
            day = date(int(text[:4]), int(text[5:7]), int(text[8:10])).toordinal() - EPOCH_ORDINAL
            self._days[text[:10]] = day
        hours, minutes, seconds = int(text[11:13]), int(text[14:16]), int(text[17:19])
        if hours > 23 or minutes > 59 or seconds > 60:
            raise ValueError(text)
        offset = int(text[21:23]) * 60 + int(text[23:25])
        if text[20] == "-":
            offset = -offset
        return day * 86400 + hours * 3600 + minutes * 60 + seconds - offset * 60, offset


class _StepRecords:
    """The parser's target: collects step records as they are parsed."""

    def __init__(self, name: str, parser_ref: list) -> None:
        self.name = name
        self.samples: list[Sample] = []
        self.records = 0
        self.root_seen = False
        self._instants = _Instants()
        self._sources: dict[str, str] = {}
        self._parser_ref = parser_ref

    def _line(self) -> int | None:
        return self._parser_ref[0].parser.CurrentLineNumber if self._parser_ref else None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.root_seen:
            if tag != "HealthData":
                raise ReaderError(
                    self.name, self._line(), _("not an Apple Health export (the root is <%(tag)s>)") % {"tag": tag[:40]}
                )
            self.root_seen = True
            return
        if tag != "Record" or attrs.get("type") != STEP_TYPE:
            return
        self.records += 1
        try:
            start, offset = self._instants.parse(attrs["startDate"])
            end, _end_offset = self._instants.parse(attrs["endDate"])
            raw_source = attrs.get("sourceName", "")
            value = attrs["value"]
        except KeyError as missing:
            raise ReaderError(
                self.name, self._line(), _("a step record without %(attribute)s") % {"attribute": missing.args[0]}
            ) from None
        except ValueError as bad:
            problem = _("%(value)s is not a date like 2024-03-14 10:00:00 +0300") % {"value": repr(str(bad)[:40])}
            raise ReaderError(self.name, self._line(), problem) from None
        if end < start:
            raise ReaderError(self.name, self._line(), _("a step record that ends before it starts"))
        source = self._sources.get(raw_source)
        if source is None:
            source = self._sources[raw_source] = source_label("apple", raw_source)
        self.samples.append(Sample(start, end, offset, parse_count(value, self.name, self._line()), source))

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def read_apple_health(stream: IO[bytes], name: str) -> Iterator[Sample]:
    parser_ref: list = []
    target = _StepRecords(name, parser_ref)
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser_ref.append(parser)
    try:
        while chunk := stream.read(CHUNK):
            parser.feed(chunk)
            yield from target.samples
            target.samples.clear()
        parser.close()
    except DefusedXmlException as refused:
        raise ReaderError(
            name, target._line(), _("refused: the file declares entities (%(detail)s)") % {"detail": refused}
        ) from None
    except ReaderError:
        raise
    except SyntaxError as broken:  # expat's ParseError, with its own line number
        line = getattr(broken, "position", (None,))[0]
        raise ReaderError(name, line, _("not well-formed XML (%(detail)s)") % {"detail": broken}) from None
    yield from target.samples
