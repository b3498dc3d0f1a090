"""The kinds of evidence an organisation can attach to a criterion.

"file" and "link" carry their own content; every other kind points at an object of the same
organisation (a workflow version, a PSF analysis; simulation runs and evidence packs register
here when those features exist). A reference kind knows which objects an assessment may offer,
how to resolve a chosen one (always scoped to the organisation) and what to freeze in a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lib.errors import DomainError, ErrorItem

if TYPE_CHECKING:
    from .models import Assessment, EvidenceItem


@dataclass(frozen=True)
class ResolvedRef:
    ref_type: str
    ref_id: int
    label: str


@dataclass(frozen=True)
class EvidenceKind:
    code: str
    label: str
    help: str
    # Reference kinds only: choices for a form, resolving a chosen value, the snapshot of an item.
    options: Callable[[Assessment], list[tuple[str, str]]] | None = None
    resolve: Callable[[Assessment, str], ResolvedRef] | None = None
    snapshot: Callable[[EvidenceItem], dict[str, Any]] | None = field(default=None)

    @property
    def is_reference(self) -> bool:
        return self.resolve is not None


@dataclass(frozen=True)
class OrganisationScope:
    """What a reference kind's ``options``/``resolve`` read from an ``Assessment`` (its organisation
    and the workflows in scope), for evidence that belongs to the organisation as a whole, such as
    a PAI-8 self-assessment: every live workflow of the organisation is in scope. Resolvers stay
    scoped to ``organisation_id`` either way."""

    organisation: Any

    @property
    def organisation_id(self) -> int:
        return int(self.organisation.pk)

    @property
    def scope_workflows(self) -> Any:
        from studio.models import Workflow

        return Workflow.objects.filter(organisation_id=self.organisation_id)


_REGISTRY: dict[str, EvidenceKind] = {}


def register_kind(kind: EvidenceKind) -> None:
    """Add (or replace) an evidence kind; later features call this from their AppConfig.ready()."""
    _REGISTRY[kind.code] = kind


def evidence_kind(code: str) -> EvidenceKind:
    kind = _REGISTRY.get(code)
    if kind is None:
        raise DomainError(
            f"Evidence of kind “{code[:40]}” cannot be attached (yet).",
            [ErrorItem("kind", "unknown or unavailable kind")],
        )
    return kind


def evidence_kinds() -> list[EvidenceKind]:
    return list(_REGISTRY.values())


# --- workflow versions --------------------------------------------------------------------------


def _scope_versions(assessment: Assessment) -> list[tuple[str, str]]:
    from studio.models import WorkflowVersion

    versions = (
        WorkflowVersion.objects.filter(
            workflow__in=assessment.scope_workflows.filter(deleted_at__isnull=True)
        )
        .select_related("workflow")
        .order_by("workflow__name", "-number")
    )
    return [(str(v.pk), f"{v.workflow.name} · v{v.number} ({v.created:%Y-%m-%d})") for v in versions[:300]]


def _version_of_org(assessment: Assessment, value: str) -> Any:
    from studio.models import WorkflowVersion

    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError(
            "Choose a workflow version.", [ErrorItem("ref", "expected a workflow version")]
        ) from None
    version = (
        WorkflowVersion.objects.select_related("workflow")
        .filter(
            pk=pk, workflow__organisation_id=assessment.organisation_id, workflow__deleted_at__isnull=True
        )
        .first()
    )
    if version is None:
        raise DomainError(
            "That workflow version is not one of your organisation's.",
            [ErrorItem("ref", "unknown workflow version")],
        )
    return version


def _resolve_workflow(assessment: Assessment, value: str) -> ResolvedRef:
    v = _version_of_org(assessment, value)
    return ResolvedRef("studio.WorkflowVersion", v.pk, f"{v.workflow.name} v{v.number}")


def _snapshot_workflow(item: EvidenceItem) -> dict[str, Any]:
    from studio.models import WorkflowVersion

    v = WorkflowVersion.objects.select_related("workflow").filter(pk=item.ref_id or 0).first()
    if v is None:
        return {"missing": True}
    return {
        "workflow_id": v.workflow_id,
        "workflow": v.workflow.name,
        "number": v.number,
        "content_hash": v.content_hash,
        "nodes": v.node_count,
        "edges": v.edge_count,
    }


# --- PSF analyses -----------------------------------------------------------------------------------


def analysis_service() -> Any | None:
    """``studio.analysis_service`` when the analysis feature is installed, else None."""
    try:
        from studio import analysis_service
    except ImportError:
        return None
    return analysis_service if hasattr(analysis_service, "analysis_for_version") else None


def _scope_heads(assessment: Assessment) -> list[tuple[str, str]]:
    from studio.models import WorkflowVersion

    out = []
    for wf in assessment.scope_workflows.filter(deleted_at__isnull=True).order_by("name"):
        head = WorkflowVersion.objects.filter(workflow=wf, number=wf.head_number).first()
        if head is not None:
            out.append((str(head.pk), f"{wf.name} · v{head.number} (latest)"))
    return out


def _resolve_analysis(assessment: Assessment, value: str) -> ResolvedRef:
    service = analysis_service()
    if service is None:
        raise DomainError(
            "PSF analyses are not available on this instance yet.", [ErrorItem("ref", "not analysed yet")]
        )
    v = _version_of_org(assessment, value)
    analysis = service.analysis_for_version(version=v)
    score = "—" if analysis.overall_score is None else f"{analysis.overall_score:.1f}"
    verdict = "pass" if analysis.passed else "fail"
    return ResolvedRef(
        "studio.Analysis", analysis.pk, f"PSF analysis of {v.workflow.name} v{v.number}: {score} ({verdict})"
    )


def _snapshot_analysis(item: EvidenceItem) -> dict[str, Any]:
    from studio.models import Analysis

    a = Analysis.objects.select_related("rubric_version").filter(pk=item.ref_id or 0).first()
    if a is None:
        return {"missing": True}
    return {
        "content_hash": a.content_hash,
        "rubric_version": a.rubric_version.key,
        "rules_version": a.rules_version,
        "overall_score": a.overall_score,
        "passed": a.passed,
    }


register_kind(
    EvidenceKind(
        "file", "Uploaded file", "PDF, PNG, JPEG, CSV, TXT, Markdown, JSON, DOCX or XLSX, up to 25 MB."
    )
)
register_kind(
    EvidenceKind("link", "Link", "A URL the assessor can open (a dashboard, a document, a ticket).")
)
register_kind(
    EvidenceKind(
        "workflow",
        "Workflow version",
        "A saved version of an in-scope workflow map from the studio.",
        options=_scope_versions,
        resolve=_resolve_workflow,
        snapshot=_snapshot_workflow,
    )
)
register_kind(
    EvidenceKind(
        "analysis",
        "PSF analysis",
        "The PSF analysis of the latest version of an in-scope workflow.",
        options=_scope_heads,
        resolve=_resolve_analysis,
        snapshot=_snapshot_analysis,
    )
)
