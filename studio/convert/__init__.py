"""Import and export of workflows: our JSON, the earlier WorkflowOS studio (``workflow.json`` and
``.wfos``), n8n; export to JSON, Mermaid and BPMN 2.0. Pure Python (no Django)."""

from __future__ import annotations

from lib.errors import DomainError, ErrorItem
from studio.convert._common import load_json_bytes
from studio.convert.legacy import ZIP_MAGIC, convert_legacy, import_wfos, looks_like_legacy
from studio.convert.n8n import convert_n8n, looks_like_n8n
from studio.convert.ours import convert_ours, looks_like_ours
from studio.convert.result import SOURCE_FORMAT_LABELS, ImportResult
from studio.format import MAX_DOCUMENT_BYTES

SUPPORTED = (
    "WorkflowOS JSON (format workflowos.workflow/v1), "
    "the earlier WorkflowOS studio's workflow.json or .wfos package, "
    "and n8n workflow JSON"
)

__all__ = ["SOURCE_FORMAT_LABELS", "SUPPORTED", "ImportResult", "import_any"]


def import_any(filename: str | None, content: bytes) -> ImportResult:
    """Import a workflow file, detecting its format by content (the name only sharpens messages).

    Raises :class:`DomainError` (status 413 when over 5 MB) for anything it cannot read.
    """
    name = (filename or "").strip()
    shown = name or "The file"
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DomainError(
            f"{shown} is larger than 5 MB.",
            [ErrorItem("", f"{len(content):,} bytes; the limit is 5 MB")],
            status=413,
            code="too_large",
        )
    if not content.strip():
        raise DomainError(f"{shown} is empty.", [ErrorItem("", "empty file")])
    if content.startswith(ZIP_MAGIC):
        return import_wfos(content)
    if name.lower().endswith(".wfos"):
        raise DomainError(
            f"{shown} is not a .wfos package: a .wfos file is a ZIP archive.",
            [ErrorItem("", "not a ZIP archive")],
        )
    data = load_json_bytes(content, shown)
    if looks_like_ours(data):
        return convert_ours(data)
    if looks_like_n8n(data):
        return convert_n8n(data)
    if looks_like_legacy(data):
        return convert_legacy(data, source_format="legacy-json")
    hint = ""
    if isinstance(data, dict) and "format" in data:
        hint = f" (its format {str(data.get('format'))[:80]!r} is not workflowos.workflow/v1)"
    raise DomainError(
        f"{shown} is not a workflow we can import{hint}. Supported: {SUPPORTED}.",
        [ErrorItem("", "unrecognised format")],
    )
