"""Import our own ``workflowos.workflow/v1`` JSON."""

from __future__ import annotations

from typing import Any

from studio.convert._common import load_json_bytes
from studio.convert.result import ImportResult
from studio.format import FORMAT_ID, parse_document
from studio.layout import auto_layout


def looks_like_ours(data: Any) -> bool:
    """True for a JSON object that declares our format."""
    return isinstance(data, dict) and data.get("format") == FORMAT_ID


def convert_ours(data: Any) -> ImportResult:
    """Validate a parsed document (errors carry JSON paths); lay it out if it has no positions."""
    doc = parse_document(data)
    mapped = [
        f"workflow {doc.name!r}: {len(doc.nodes)} step(s) and {len(doc.edges)} edge(s) imported as they are"
    ]
    missing = sum(1 for n in doc.nodes if n.position is None)
    if missing:
        doc = auto_layout(doc, keep_existing=missing < len(doc.nodes))
        mapped.append(f"positions: {missing} step(s) without one laid out automatically")
    return ImportResult(document=doc, source_format="workflowos", mapped=mapped, unmapped=[])


def import_ours(content: bytes) -> ImportResult:
    """Import a ``workflowos.workflow/v1`` JSON file."""
    return convert_ours(load_json_bytes(content, "The workflow document"))
