"""The one request body format the API reads: JSON, strict."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


def _has_lone_surrogate(data: Any) -> bool:
    # JSON may spell a lone surrogate ("\ud800"); no database column can store
    # it, so it is refused here rather than failing at the INSERT.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, plus what it leaves to a 500: deep nesting
    (RecursionError) and strings no database can store. (The size limit is
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF applies before parsing.)"""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=json.strict_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        if _has_lone_surrogate(data):
            raise ParseError(_("JSON parse error - a string holds an unpaired surrogate."))
        return data
