"""What every result parser shares: limits, the refusal type and the typed summary.

A parser never executes anything from a file: it reads JSON values and counts. Files are
refused before parsing when compressed, too large or nested too deep, and while parsing when
their content is not the format they were detected as.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from lib.errors import DomainError, ErrorItem

MAX_DEPTH = 64  # promptfoo results nest about 12 levels, OTLP spans about 8
# The most a streamed parser builds at once (one span, one test result): a span with captured
# prompts and completions is a few hundred KB.
MAX_ITEM_BYTES = 8 * 1024 * 1024
HEAD_BYTES = 4096
_CHUNK = 1024 * 1024
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


def check_depth_stream(
    fh: IO[bytes],
    max_depth: int = MAX_DEPTH,
    *,
    item_level: int = 0,
    max_item_bytes: int = MAX_ITEM_BYTES,
    item_name: str = "item",
) -> None:
    """Refuse JSON (one document or many) nested deeper than ``max_depth``, reading in chunks;
    with ``item_level``, also any value opened at that nesting level (the unit a streamed parser
    builds in memory: one span, one test result) larger than ``max_item_bytes``.

    Vectorised with numpy: the positions of quotes and brackets are found in C; a quote counts
    unless an odd run of backslashes precedes it (only quotes right after a backslash are looked
    at one by one); a bracket is inside a string when an odd number of counted quotes precede it;
    the other brackets are summed into the depth. The state (inside a string, a trailing
    backslash run, the depth) carries from chunk to chunk, so a 100 MB file is scanned in fixed
    memory.
    """
    fh.seek(0)
    depth = 0
    in_string = 0
    backslashes = 0
    offset = 0
    item_start: int | None = None  # where the item open at the end of the last chunk began
    while block := fh.read(_CHUNK):
        a = np.frombuffer(block, dtype=np.uint8)
        quotes = np.flatnonzero(a == 34)
        if quotes.size and (backslashes or b"\\" in block):
            quotes = _unescaped(a, quotes, backslashes)
        opens = np.flatnonzero((a == 91) | (a == 123))
        closes = np.flatnonzero((a == 93) | (a == 125))
        if opens.size or closes.size:
            positions = np.concatenate((opens, closes))
            steps = np.concatenate(
                (np.ones(opens.size, dtype=np.int32), np.full(closes.size, -1, dtype=np.int32))
            )
            order = np.argsort(positions, kind="stable")
            positions, steps = positions[order], steps[order]
            outside = ((np.searchsorted(quotes, positions) + in_string) & 1) == 0
            steps = steps[outside]
            if steps.size:
                levels = np.cumsum(steps) + depth
                if int(levels.max()) > max_depth:
                    raise refuse(
                        f"The file nests deeper than {max_depth} levels; it is not accepted.",
                        code="too_deep",
                    )
                depth = int(levels[-1])
                if item_level:
                    item_start = _check_items(
                        positions[outside] + offset,
                        steps,
                        levels,
                        item_level,
                        item_start,
                        max_item_bytes,
                        item_name,
                    )
        offset += len(block)
        if item_start is not None and offset - item_start > max_item_bytes:
            raise _item_too_large(item_name, max_item_bytes)
        in_string = (in_string + int(quotes.size)) & 1
        stripped = block.rstrip(b"\\")
        backslashes = (backslashes if not stripped else 0) + len(block) - len(stripped)
    fh.seek(0)


def _item_too_large(name: str, limit: int) -> ImportRefused:
    return refuse(
        f"The file has a single {name} larger than {limit // (1024 * 1024)} MB; it is not accepted."
    )


def _check_items(
    positions: Any, steps: Any, levels: Any, level: int, start: int | None, limit: int, name: str
) -> int | None:
    """Pair the openings to ``level`` with the closings back below it (they alternate) and refuse
    an item longer than ``limit`` bytes; return where a still-open item began."""
    opens = (steps == 1) & (levels == level)
    closes = (steps == -1) & (levels == level - 1)
    events = positions[opens | closes]
    if start is not None:
        events = np.concatenate(([start], events))
    pairs = events.size // 2
    if pairs and int((events[1 : 2 * pairs : 2] - events[0 : 2 * pairs : 2]).max()) > limit:
        raise _item_too_large(name, limit)
    return int(events[-1]) if events.size % 2 else None


def _unescaped(a: Any, quotes: Any, carried: int) -> Any:
    """The quote positions not escaped by an odd run of backslashes (``carried`` backslashes end
    the previous chunk). Vectorised over the backslash positions."""
    slashes = np.flatnonzero(a == 92)
    candidates = quotes[np.isin(quotes - 1, slashes, assume_unique=True)]
    if carried and quotes.size and quotes[0] == 0:
        candidates = np.union1d(candidates, [0])
    if not candidates.size:
        return quotes
    # Index, in ``slashes``, of the first backslash of each backslash's run.
    new_run = np.ones(slashes.size, dtype=bool)
    new_run[1:] = np.diff(slashes) != 1
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(slashes.size), 0))
    ending = np.searchsorted(slashes, candidates - 1)  # the backslash right before each quote
    runs = np.zeros(candidates.size, dtype=np.int64)
    has = (candidates > 0) & (ending < slashes.size)
    has[has] = slashes[ending[has]] == candidates[has] - 1
    runs[has] = ending[has] - run_start[ending[has]] + 1
    # A run that starts at the chunk's first byte continues the previous chunk's run.
    touches_start = np.zeros(candidates.size, dtype=bool)
    touches_start[has] = slashes[run_start[ending[has]]] == 0
    touches_start |= candidates == 0
    runs[touches_start] += carried
    escaped = candidates[runs % 2 == 1]
    return np.setdiff1d(quotes, escaped, assume_unique=True) if escaped.size else quotes


def iter_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    fh.seek(0)
    while block := fh.read(_CHUNK):
        yield block
