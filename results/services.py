"""Writes for imported results."""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction

from core.audit import audit_event_append
from lib import artefacts
from lib.uploads import check_file_name
from studio.format import parse_document
from studio.models import Workflow, WorkflowVersion
from studio.selectors import version_get

from .models import ImportedResult
from .report import import_report

PREFIX = "results"


def result_import(
    *,
    workflow: Workflow,
    user: Any,
    fh: IO[bytes],
    file_name: str,
    version: WorkflowVersion | None = None,
    claimed: str | None = None,
) -> ImportedResult:
    """Check and parse a tool's results file against a workflow version (the head by default),
    keep the original as an artefact with its SHA-256, and store the report.

    Raises DomainError (ImportRefused) for a file that is not accepted; nothing is stored then.
    """
    display = check_file_name(file_name)
    version = version or version_get(workflow=workflow)
    report = import_report(fh, parse_document(version.document), claimed=claimed)
    stored = artefacts.save_file(PREFIX, fh)
    summary = report["summary"]
    with transaction.atomic():
        result = ImportedResult.objects.create(
            organisation=workflow.organisation,
            workflow=workflow,
            version=version,
            format=summary["format"],
            tool=summary["tool"][:40],
            tool_version=summary["tool_version"][:80],
            file_name=display,
            file_sha256=stored.sha256,
            file_size=stored.size,
            stored_name=stored.name,
            report=report,
            failing=report["failing"],
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit_event_append(
            action="results.import",
            object_type="imported_result",
            object_id=result.pk,
            actor_email=getattr(user, "email", "") or "",
            organisation_id=workflow.organisation_id,
            data={
                "workflow": workflow.pk,
                "version": version.number,
                "format": result.format,
                "sha256": stored.sha256,
                "counts": summary["counts"],
            },
        )
    return result
