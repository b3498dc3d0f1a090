"""What an import returns: the validated document and an account of what was and was not mapped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from studio.format import WorkflowDocument

SourceFormat = Literal["workflowos", "legacy-json", "legacy-wfos", "n8n"]

SOURCE_FORMAT_LABELS: dict[str, str] = {
    "workflowos": "WorkflowOS JSON (workflowos.workflow/v1)",
    "legacy-json": "earlier WorkflowOS studio workflow.json",
    "legacy-wfos": "earlier WorkflowOS studio .wfos package",
    "n8n": "n8n workflow JSON",
}


@dataclass
class ImportResult:
    """A converted, validated document with human-readable lines saying what was mapped and what
    could not be (and why). The lines are plain text for the user; never render them as HTML."""

    document: WorkflowDocument
    source_format: SourceFormat
    mapped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return SOURCE_FORMAT_LABELS[self.source_format]

    def to_data(self) -> dict[str, Any]:
        return {
            "source_format": self.source_format,
            "source_label": self.source_label,
            "document": self.document.to_data(),
            "mapped": list(self.mapped),
            "unmapped": list(self.unmapped),
        }
