"""The items of a JSON array, one at a time, from a stream of any size.

Fitbit's and Google's exports are arrays of small objects; ``json.load`` on
a file someone uploaded would hold all of it in memory. Here the text is read
in chunks and ``JSONDecoder.raw_decode`` takes one item at a time, so memory
is bounded by the largest item (refused past ``MAX_ITEM_CHARS``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .samples import ReaderError

CHUNK = 1 << 18
MAX_ITEM_CHARS = 1 << 20
_WHITESPACE = " \t\r\n"


class _Text:
    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream, self.name = stream, name
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buffer = ""
        self.pos = 0
        self.lines = 1  # the line number at buffer[counted]
        self.counted = 0
        self.eof = False

    def line(self) -> int:
        # Counted on from the last call, so reading a file costs one pass over it.
        if self.pos > self.counted:
            self.lines += self.buffer.count("\n", self.counted, self.pos)
            self.counted = self.pos
        return self.lines

    def more(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.stream.read(CHUNK)
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ReaderError(self.name, self.line(), _("not UTF-8 text")) from None
        if not chunk:
            self.eof = True
        self.line()  # count what is about to be dropped
        self.buffer = self.buffer[self.pos :] + text
        self.pos = self.counted = 0
        return bool(text) or not self.eof

    def skip_whitespace(self) -> str | None:
        """The next character that is not whitespace (not consumed), or None at the end."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.more():
                return None

    def expect(self, char: str, problem: str) -> None:
        if self.skip_whitespace() != char:
            raise ReaderError(self.name, self.line(), _(problem))
        self.pos += 1


def _decode_one(text: _Text, decoder: json.JSONDecoder) -> Any:
    text.skip_whitespace()  # raw_decode takes no leading whitespace
    while True:
        try:
            value, end = decoder.raw_decode(text.buffer, text.pos)
        except json.JSONDecodeError as error:
            # Maybe only cut off by the chunk: read more and try again.
            if len(text.buffer) - text.pos > MAX_ITEM_CHARS:
                raise ReaderError(text.name, text.line(), _("an item longer than 1 MB")) from None
            if not text.more():
                raise ReaderError(
                    text.name, text.line(), _("not valid JSON (%(detail)s)") % {"detail": error.msg}
                ) from None
            continue
        # A number may go on in the next chunk ("12" of "1234"): read on before trusting it.
        if end == len(text.buffer) and not text.eof and text.more():
            continue
        text.pos = end
        return value


def json_array_items(stream: IO[bytes], name: str, *, key: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line, item) for each item of the top-level array, or of the array at
    ``key`` of the top-level object (its other members are read and dropped)."""
    text = _Text(stream, name)
    decoder = json.JSONDecoder()
    if key is not None:
        text.expect("{", gettext_noop("expected a JSON object"))
        while True:
            if text.skip_whitespace() == "}":
                raise ReaderError(name, text.line(), _('no "%(key)s" in this file') % {"key": key})
            member = _decode_one(text, decoder)
            text.expect(":", gettext_noop("expected ':' after a key"))
            if member == key:
                break
            _decode_one(text, decoder)  # a member we do not read
            if text.skip_whitespace() == ",":
                text.pos += 1
    text.expect("[", gettext_noop("expected a JSON array"))
    if text.skip_whitespace() == "]":
        return
    while True:
        if text.skip_whitespace() is None:
            raise ReaderError(name, text.line(), _("the file ends inside the array"))
        line = text.line()
        yield line, _decode_one(text, decoder)
        following = text.skip_whitespace()
        if following == ",":
            text.pos += 1
        elif following == "]":
            return
        else:
            raise ReaderError(name, text.line(), _("expected ',' or ']' between items"))
