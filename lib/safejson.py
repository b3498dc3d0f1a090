"""JSON from outside, parsed without recursion trouble.

``json.loads`` recurses once per nesting level, so ``[[[[…`` 100,000 deep raises RecursionError
(a 500) and even a few hundred levels can make later code (pydantic, our walkers) recurse too
deep. ``loads`` first measures the nesting with a scan of the brackets outside strings, with no
recursion, and refuses anything deeper than ``MAX_DEPTH`` with ``JSONTooDeep``: a ValueError, so
every edge that already turns "not valid JSON" into a clear 400 handles it the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64  # workflow documents nest about 6 levels; rubric files about 8

# A string (with its escapes) or one bracket: strings are skipped whole, brackets are counted.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


class JSONTooDeep(ValueError):
    """Nested deeper than the limit."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels")
        self.max_depth = max_depth


def nesting_depth(text: str | bytes, *, stop_after: int | None = None) -> int:
    """The deepest nesting of arrays and objects in ``text`` (0 for a scalar).

    Stops counting once ``stop_after`` is passed. Only brackets outside strings count; malformed
    text gives some number and is left for the parser to refuse.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    # Fast path: text with no more brackets than the limit cannot nest deeper than it.
    if stop_after is not None and text.count("[") + text.count("{") <= stop_after:
        return 0
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        bracket = match.group()
        if bracket in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    return deepest
        elif bracket in _CLOSERS:
            depth -= 1
    return deepest


def check_depth(text: str | bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``JSONTooDeep`` when ``text`` nests deeper than ``max_depth``."""
    if nesting_depth(text, stop_after=max_depth) > max_depth:
        raise JSONTooDeep(max_depth)


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` (``JSONTooDeep``)."""
    check_depth(text, max_depth)
    try:
        return json.loads(text, **kwargs)
    except RecursionError:  # a belt to the braces above: never let it escape as a 500
        raise JSONTooDeep(max_depth) from None
