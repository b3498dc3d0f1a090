"""Result parsers, one module per tool format, chosen by content (never by file name).

A parser module exposes ``FORMAT`` (its id), ``MAX_BYTES``, ``detect(head: bytes) -> bool`` and
``parse(fh) -> Summary``. garak (``report.jsonl``) and Inspect (``.eval``/``.json``) plug in by
adding a module to ``PARSERS``.
"""

from __future__ import annotations

import io
from types import ModuleType
from typing import IO

from . import otlp, promptfoo
from .base import HEAD_BYTES, MAX_DEPTH, ImportRefused, Summary, check_depth_stream, refuse, refuse_compressed

PARSERS: dict[str, ModuleType] = {promptfoo.FORMAT: promptfoo, otlp.FORMAT: otlp}
MAX_BYTES = max(m.MAX_BYTES for m in PARSERS.values())

__all__ = ["MAX_BYTES", "PARSERS", "ImportRefused", "Summary", "detect_format", "parse_file"]


def _size(fh: IO[bytes]) -> int:
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    return size


def detect_format(head: bytes) -> str | None:
    """The format whose signature the first bytes carry, or None."""
    for name, module in PARSERS.items():
        if module.detect(head):
            return name
    return None


def parse_file(fh: IO[bytes], *, claimed: str | None = None) -> Summary:
    """Check and parse a seekable binary file; raise ImportRefused with a reason a person can act on.

    ``claimed`` is the format the user said it is (None: detect). Order of checks: empty,
    compressed, overall size, content detection (and agreement with ``claimed``), the format's
    size cap, nesting depth (streamed), then the format's parser.
    """
    size = _size(fh)
    if size == 0:
        raise refuse("The file is empty.")
    head = fh.read(HEAD_BYTES)
    fh.seek(0)
    refuse_compressed(head)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if size > MAX_BYTES:
        raise refuse(
            f"The file is {size // (1024 * 1024)} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB.",
            code="too_large",
            status=413,
        )
    detected = detect_format(head)
    if claimed and claimed not in PARSERS:
        raise refuse(f"Unknown format {claimed!r}; known: {', '.join(sorted(PARSERS))}.")
    if detected is None:
        raise refuse(
            "The file is not a result format WorkflowOS reads (promptfoo results.json or "
            "OTLP/JSON traces); nothing was imported."
        )
    if claimed and claimed != detected:
        raise refuse(f"The file was sent as {claimed} but its content is {detected}.")
    module = PARSERS[detected]
    if size > module.MAX_BYTES:
        raise refuse(
            f"The file is {size // (1024 * 1024)} MB; the limit for {detected} is "
            f"{module.MAX_BYTES // (1024 * 1024)} MB.",
            code="too_large",
            status=413,
        )
    check_depth_stream(
        fh,
        MAX_DEPTH,
        item_level=module.ITEM_LEVEL,
        max_item_bytes=module.MAX_ITEM_BYTES,
        item_name=module.ITEM_NAME,
    )
    summary: Summary = module.parse(fh)
    return summary
