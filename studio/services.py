"""Writes for the studio: workflows and their immutable versions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from lib.errors import DomainError, ErrorItem
from studio.format import WorkflowDocument, canonical_data, parse_document

from .models import Workflow, WorkflowVersion


@dataclass(frozen=True)
class SaveOutcome:
    version: WorkflowVersion
    created: bool  # False when the document equals the head: nothing new was stored


def _new_version(
    *, workflow: Workflow, document: WorkflowDocument, author: User | None, message: str
) -> WorkflowVersion:
    number = workflow.head_number + 1
    version = WorkflowVersion.objects.create(
        workflow=workflow,
        number=number,
        document=canonical_data(document),
        content_hash=document.content_hash(),
        node_count=len(document.nodes),
        edge_count=len(document.edges),
        message=message[:300],
        author=author,
    )
    workflow.head_number = number
    workflow.name = document.name
    workflow.description = document.description
    workflow.updated = timezone.now()
    workflow.save(update_fields=["head_number", "name", "description", "updated"])
    return version


def workflow_create(
    *,
    organisation: Organisation,
    author: User | None,
    document: WorkflowDocument,
    message: str = "Created",
    template_slug: str = "",
) -> Workflow:
    """Create a workflow with its first version."""
    with transaction.atomic():
        wf = Workflow.objects.create(
            organisation=organisation,
            name=document.name,
            description=document.description,
            created_by=author,
            template_slug=template_slug,
        )
        _new_version(workflow=wf, document=document, author=author, message=message)
    return wf


def workflow_save(
    *,
    workflow: Workflow,
    author: User | None,
    document: WorkflowDocument,
    base_number: int | None,
    message: str = "",
) -> SaveOutcome:
    """Save a new immutable version.

    ``base_number`` is the version the editor started from. When someone saved since, the save is
    refused (409) and nothing is stored, so no edit is ever silently overwritten; the caller keeps
    the rejected document to show or download.
    """
    with transaction.atomic():
        wf = Workflow.objects.select_for_update().get(pk=workflow.pk)
        if wf.deleted_at is not None:
            raise DomainError("This workflow was deleted.", status=404, code="not_found")
        if base_number is not None and base_number != wf.head_number:
            head = wf.versions.select_related("author").get(number=wf.head_number)
            who = head.author.email if head.author else "someone"
            raise DomainError(
                f"Version {wf.head_number} was saved by {who} at {head.created:%Y-%m-%d %H:%M} UTC after you opened version "
                f"{base_number}. Your changes were not saved: reload to see the latest version, then apply them again.",
                [ErrorItem("base_version", f"outdated: the latest version is {wf.head_number}")],
                status=409,
                code="conflict",
            )
        current = wf.versions.filter(number=wf.head_number).first()
        if current is not None and current.content_hash == document.content_hash():
            return SaveOutcome(current, created=False)
        version = _new_version(workflow=wf, document=document, author=author, message=message or "Saved")
    workflow.refresh_from_db()
    return SaveOutcome(version, created=True)


def workflow_restore(*, workflow: Workflow, author: User | None, number: int) -> SaveOutcome:
    """Restore an old version as a new version (history is never rewritten)."""
    old = workflow.versions.filter(number=number).first()
    if old is None:
        raise DomainError(f"There is no version {number}.", status=404, code="not_found")
    document = parse_document(old.document)
    return workflow_save(
        workflow=workflow,
        author=author,
        document=document,
        base_number=None,
        message=f"Restored version {number}",
    )


def workflow_delete(*, workflow: Workflow) -> None:
    Workflow.objects.filter(pk=workflow.pk).update(deleted_at=timezone.now())


@dataclass
class ImportOutcome:
    workflow: Workflow
    source_format: str
    mapped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def workflow_import(
    *, organisation: Organisation, author: User | None, filename: str | None, content: bytes
) -> ImportOutcome:
    """Import a file (our JSON, the earlier studio's workflow.json / .wfos, n8n) as a new workflow,
    reporting what was mapped and what was not."""
    from studio.convert import import_any

    result = import_any(filename, content)
    wf = workflow_create(
        organisation=organisation,
        author=author,
        document=result.document,
        message=f"Imported from {result.source_format}",
    )
    return ImportOutcome(wf, result.source_format, list(result.mapped), list(result.unmapped))


def workflow_from_template(
    *, organisation: Organisation, author: User | None, slug: str, name: str | None = None
) -> Workflow:
    from studio.templates_data import load_template

    try:
        doc = load_template(slug)
    except DomainError:
        raise DomainError(
            f"There is no template {slug[:80]!r}.", [ErrorItem("template", "unknown template")]
        ) from None
    if name:
        doc = doc.model_copy(update={"name": name[:200]})
    return workflow_create(
        organisation=organisation,
        author=author,
        document=doc,
        message=f"From template {slug}",
        template_slug=slug,
    )
