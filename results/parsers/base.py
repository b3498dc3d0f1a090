"""What every result parser shares: limits, the refusal type and the typed summary.

A parser never executes anything from a file: it reads JSON values and counts. Files are
refused before parsing when compressed, too large or nested too deep, and while parsing when
their content is not the format they were detected as.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from lib.errors import DomainError, ErrorItem

MAX_DEPTH = 64  # promptfoo results nest about 12 levels, OTLP spans about 8
HEAD_BYTES = 4096
_CHUNK = 1024 * 1024
_MAX_STRING_CARRY = 8 * 1024 * 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = np.zeros(256, dtype=np.int8)
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class ImportRefused(DomainError):
    """A file that is not accepted: compressed, too big, too deep, or not what it claims to be."""


def refuse(message: str, *, code: str = "import_refused", status: int = 400) -> ImportRefused:
    return ImportRefused(message, [ErrorItem("file", message)], status=status, code=code)


@dataclass
class NotUnderstood:
    """Something in the file the parser skipped, with the reason (counted, a few examples kept)."""

    what: str
    reason: str
    count: int = 1


@dataclass
class Summary:
    """What one import understood. ``counts`` and ``details`` are format-specific but plain JSON."""

    format: str
    tool: str
    tool_version: str
    counts: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    time_range: dict[str, str | None] = field(default_factory=lambda: {"start": None, "end": None})
    not_understood: list[NotUnderstood] = field(default_factory=list)

    def skip(self, what: str, reason: str) -> None:
        for item in self.not_understood:
            if item.what == what and item.reason == reason:
                item.count += 1
                return
        if len(self.not_understood) < 50:
            self.not_understood.append(NotUnderstood(what, reason))

    def to_data(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "counts": self.counts,
            "time_range": self.time_range,
            "details": self.details,
            "not_understood": [
                {"what": n.what, "reason": n.reason, "count": n.count} for n in self.not_understood
            ],
        }


def refuse_compressed(head: bytes) -> None:
    """Compressed or archived files are refused outright: no decompression bomb can reach us."""
    if head.startswith(b"\x1f\x8b"):
        raise refuse("The file is gzip-compressed; decompress it and import the JSON itself.")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise refuse("The file is a ZIP archive; import the JSON file inside it.")
    if head.startswith((b"BZh", b"\xfd7zXZ\x00", b"(\xb5/\xfd", b"7z\xbc\xaf")):
        raise refuse("The file is compressed; decompress it and import the JSON itself.")


def check_depth_stream(fh: IO[bytes], max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON (one document or many) nested deeper than ``max_depth``, reading in chunks.

    Strings are cut out with one regular expression per chunk (brackets inside them do not
    count); what remains is reduced to its brackets and summed with numpy, so a 100 MB file is
    scanned in C. A string cut by a chunk boundary is carried into the next chunk.
    """
    fh.seek(0)
    depth = 0
    carry = b""
    while True:
        block = fh.read(_CHUNK)
        data = carry + block
        if not data:
            break
        stripped = _STRING.sub(b"", data)
        quote = stripped.find(b'"')
        if quote >= 0 and block:
            # An unterminated string: keep it (from its opening quote) for the next chunk.
            # After the complete strings are cut, nothing was removed behind that quote (an
            # unterminated string has no closing quote), so its tail has the same length in data.
            carry = data[len(data) - (len(stripped) - quote) :]
            if len(carry) > _MAX_STRING_CARRY:
                raise refuse("The file has a single string longer than 8 MB; it is not accepted.")
            stripped = stripped[:quote]
        else:
            carry = b""
        brackets = stripped.translate(None, _NOT_BRACKETS).replace(b'"', b"")
        if brackets:
            steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)].astype(np.int32)
            levels = np.cumsum(steps) + depth
            if int(levels.max()) > max_depth:
                raise refuse(
                    f"The file nests deeper than {max_depth} levels; it is not accepted.", code="too_deep"
                )
            depth = int(levels[-1])
        if not block:
            break
    fh.seek(0)


def iter_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    fh.seek(0)
    while block := fh.read(_CHUNK):
        yield block
