"""The API's JSON parser: bodies that nest too deep or are too large are a 400, not a 500.

DRF's own parser hands the stream to ``json.load``, which recurses once per nesting level (a
100,000-deep ``[[[[…`` raised RecursionError) and reads a body of any size (DRF reads the raw
stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies). This one reads at most that
many bytes and parses with ``lib.safejson``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from lib import safejson


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 6 * 1024 * 1024


class JSONParser(parsers.JSONParser):
    """``application/json`` with a size and a nesting limit (``safejson.MAX_DEPTH``)."""

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = body_limit()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"Request body too large: the limit is {limit // (1024 * 1024)} MB.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from None
        try:
            # Like DRF: NaN and Infinity are refused unless STRICT_JSON is turned off.
            return safejson.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except safejson.JSONTooDeep as exc:
            raise ParseError(f"{exc}; flatten the document.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
