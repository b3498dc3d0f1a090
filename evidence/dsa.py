"""Evidence packs as DSA evidence: registers the ``export`` kind with the assessments feature, so
an organisation can attach a finished pack to a criterion (``EvidenceItem.kind == "export"``,
``ref_type`` ``evidence.ExportJob``). Always scoped to the assessment's organisation."""

from __future__ import annotations

from typing import Any

from lib.errors import DomainError, ErrorItem

REF_TYPE = "evidence.ExportJob"


def _label(job: Any) -> str:
    return f"{job.reference} · {job.title} ({job.created:%Y-%m-%d}, {job.page_count} pages)"


def _options(assessment: Any) -> list[tuple[str, str]]:
    from .selectors import exports_for_organisation

    return [(str(job.pk), _label(job)) for job in exports_for_organisation(assessment.organisation)[:300]]


def _resolve(assessment: Any, value: str) -> Any:
    from assessments.evidence_kinds import ResolvedRef

    from .models import ExportJob

    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError(
            "Choose an evidence pack.", [ErrorItem("ref", "expected an evidence pack")]
        ) from None
    job = ExportJob.objects.filter(
        pk=pk, organisation_id=assessment.organisation_id, status=ExportJob.DONE
    ).first()
    if job is None:
        raise DomainError(
            "That evidence pack is not one of your organisation's finished packs.",
            [ErrorItem("ref", "unknown evidence pack")],
        )
    return ResolvedRef(REF_TYPE, job.pk, _label(job))


def _snapshot(item: Any) -> dict[str, Any]:
    from .models import ExportJob

    job = ExportJob.objects.filter(pk=item.ref_id).first()
    if job is None:
        return {"missing": True}
    return {
        "reference": job.reference,
        "title": job.title,
        "content_hash": job.content_hash,
        "pdf_sha256": job.pdf_sha256,
        "bundle_sha256": job.bundle_sha256,
        "signing_kid": job.signing_kid,
        "pages": job.page_count,
        "created": job.created.isoformat(),
    }


def register() -> None:
    """Add the ``export`` kind to the DSA evidence kinds, if the assessments feature offers them."""
    try:
        from assessments.evidence_kinds import EvidenceKind, register_kind
    except ImportError:
        return
    register_kind(
        EvidenceKind(
            "export",
            "Evidence pack",
            "A finished PDF evidence pack with its signed bundle (Evidence packs in the studio).",
            options=_options,
            resolve=_resolve,
            snapshot=_snapshot,
        )
    )
