"""JSON-LD processing of credentials and status lists with the shipped contexts only.

``document_loader`` serves the official VC 2.0 and Open Badges 3.0 contexts from
``trustmarks/contexts/`` and refuses every other URL, so nothing is ever fetched from the network
(a remote context is a tracking and tampering vector). ``expand_safe`` expands a document with
pyld (a development dependency) in the equivalent of jsonld.js's *safe mode*: it fails, instead of
silently dropping data, on a property that no context defines, and on an ``@id`` or ``@type``
that does not expand to an absolute IRI. pyld has no ``safeMode`` option; its
``on_property_dropped`` hook plus the IRI check after expansion give the same verdict for the
documents we publish.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class JsonLdSafeModeError(ValueError):
    """A document that a strict (safe-mode) JSON-LD processor would reject."""


@cache
def _context(url: str) -> str:
    return (CONTEXTS_DIR / CONTEXT_FILES[url]).read_text("utf-8")


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld/jsonld.js document loader for the shipped contexts; any other URL is refused."""
    if url not in CONTEXT_FILES:
        raise JsonLdSafeModeError(f"context {url!r} is not shipped with WorkflowOS (no network fetches)")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(_context(url)),
    }


def expand_safe(document: dict[str, Any]) -> list[Any]:
    """The expanded form of ``document``; ``JsonLdSafeModeError`` where safe mode would fail."""
    from pyld import jsonld  # development dependency: conformance tests and tooling only

    dropped: list[str | None] = []
    try:
        # No base IRI: pyld would otherwise resolve relative IRIs against a placeholder base and
        # hide them; a published credential must not depend on where it was fetched from.
        expanded = jsonld.expand(
            document, {"documentLoader": document_loader, "base": None}, on_property_dropped=dropped.append
        )
    except jsonld.JsonLdError as exc:
        raise JsonLdSafeModeError(f"JSON-LD expansion failed: {exc}") from exc
    if dropped:
        raise JsonLdSafeModeError(f"properties not defined by any context: {sorted(map(str, dropped))}")
    problems: list[str] = []
    _check_iris(expanded, problems)
    if problems:
        raise JsonLdSafeModeError("; ".join(problems))
    return list(expanded)


def _check_iris(node: Any, problems: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _check_iris(item, problems)
        return
    if not isinstance(node, dict):
        return
    ident = node.get("@id")
    if isinstance(ident, str) and not (ident.startswith("_:") or _ABSOLUTE_IRI.match(ident)):
        problems.append(f"relative @id reference {ident!r}")
    types = node.get("@type", [])
    for value in types if isinstance(types, list) else [types]:
        if isinstance(value, str) and not _ABSOLUTE_IRI.match(value):
            problems.append(f"relative @type reference {value!r}")
    for key, value in node.items():
        if key not in ("@id", "@type", "@value"):
            _check_iris(value, problems)
