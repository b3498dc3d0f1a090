"""Evidence on PAI-8 checkpoints: the DSA's evidence kinds (``assessments.evidence_kinds``: file,
link, workflow version, PSF analysis, evidence pack, whatever is registered) plus an inventory
record, attached to a checkpoint of a draft self-assessment.

Nothing here re-implements the DSA's checks: files go through ``assessments.services.
prepare_evidence`` (checked by content and size, stored privately with their SHA-256), references
resolve through the same kind resolvers, given an :class:`OrganisationScope` (every live workflow
of the organisation is in scope). Every add and remove is audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments import storage
from assessments.evidence_kinds import EvidenceKind, OrganisationScope, ResolvedRef, evidence_kinds
from assessments.services import Upload, _require_member, prepare_evidence
from lib.errors import DomainError, ErrorItem

from .models import AISystem, Pai8Assessment, Pai8Evidence
from .services import _audit, framework_of

# -- kinds -------------------------------------------------------------------------------------


def _system_label(s: AISystem) -> str:
    return f"{s.name} ({s.get_status_display()}, {s.get_risk_tier_display()} risk)"


def _inventory_options(scope: Any) -> list[tuple[str, str]]:
    rows = AISystem.objects.filter(organisation_id=scope.organisation_id).order_by("name")[:500]
    return [(str(s.pk), _system_label(s)) for s in rows]


def _inventory_resolve(scope: Any, value: str) -> ResolvedRef:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError(
            "Choose an inventory record.", [ErrorItem("ref", "expected an AI system")]
        ) from None
    s = AISystem.objects.filter(pk=pk, organisation_id=scope.organisation_id).first()
    if s is None:
        raise DomainError(
            "That AI system is not in your organisation's inventory.",
            [ErrorItem("ref", "unknown AI system")],
        )
    return ResolvedRef(Pai8Evidence.REF_INVENTORY, s.pk, f"Inventory: {_system_label(s)}")


INVENTORY_KIND = EvidenceKind(
    Pai8Evidence.INVENTORY,
    "Inventory record",
    "An AI system from the organisation's use-case inventory.",
    options=_inventory_options,
    resolve=_inventory_resolve,
)


def _simulation_label(run: Any) -> str:
    verdict = "pass" if run.passed else "fail"
    return f"Simulation of {run.workflow.name} ({run.n} runs, {verdict}, {run.created:%Y-%m-%d})"


def _simulations(scope: Any) -> Any:
    from simulations.models import SimulationRun

    return (
        SimulationRun.objects.filter(
            organisation_id=scope.organisation_id,
            status=SimulationRun.DONE,
            workflow__deleted_at__isnull=True,
        )
        .select_related("workflow")
        .order_by("-created")
    )


def _simulation_options(scope: Any) -> list[tuple[str, str]]:
    return [(str(r.pk), _simulation_label(r)) for r in _simulations(scope)[:300]]


def _simulation_resolve(scope: Any, value: str) -> ResolvedRef:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError(
            "Choose a simulation run.", [ErrorItem("ref", "expected a simulation run")]
        ) from None
    run = _simulations(scope).filter(pk=pk).first()
    if run is None:
        raise DomainError(
            "That simulation run is not one of your organisation's finished runs.",
            [ErrorItem("ref", "unknown simulation run")],
        )
    return ResolvedRef("simulations.SimulationRun", run.pk, _simulation_label(run))


# The DSA has no simulation kind registered (its EvidenceItem only reserves the code), so the
# PAI-8 offers one of its own until the DSA registers "simulation"; the registered one wins then.
SIMULATION_KIND = EvidenceKind(
    "simulation",
    "Simulation run",
    "A finished simulation run (injected faults) of one of the organisation's workflows.",
    options=_simulation_options,
    resolve=_simulation_resolve,
)


def pai8_kinds() -> list[EvidenceKind]:
    """The DSA's kinds as registered now (a simulation kind if it has none), then the inventory
    record."""
    dsa = [k for k in evidence_kinds() if k.code != INVENTORY_KIND.code]
    if not any(k.code == SIMULATION_KIND.code for k in dsa):
        dsa.append(SIMULATION_KIND)
    return [*dsa, INVENTORY_KIND]


def pai8_kind(code: str) -> EvidenceKind:
    for k in pai8_kinds():
        if k.code == code:
            return k
    raise DomainError(
        f"Evidence of kind “{code[:40]}” cannot be attached.", [ErrorItem("kind", "unknown kind")]
    )


def kind_label(code: str) -> str:
    return next((k.label for k in pai8_kinds() if k.code == code), code)


def scope_of(assessment: Pai8Assessment) -> OrganisationScope:
    return OrganisationScope(assessment.organisation)


# -- writes ------------------------------------------------------------------------------------


def _check(assessment: Pai8Assessment, actor: User, checkpoint: str, doing: str) -> None:
    _require_member(actor, assessment.organisation, admin=False, doing=doing)
    if assessment.status != Pai8Assessment.DRAFT:
        raise DomainError(
            "Evidence can be changed only while the self-assessment is a draft.",
            status=409,
            code="not_draft",
        )
    if framework_of(assessment).checkpoint(checkpoint) is None:
        raise DomainError(
            "Choose one of the framework's checkpoints.",
            [ErrorItem("checkpoint", f"unknown checkpoint {checkpoint[:10]!r}")],
            status=404,
        )


def _locked_draft(assessment: Pai8Assessment) -> Pai8Assessment:
    a = Pai8Assessment.objects.select_for_update().get(pk=assessment.pk)
    if a.status != Pai8Assessment.DRAFT:  # completed meanwhile
        raise DomainError(
            "Evidence can be changed only while the self-assessment is a draft.",
            status=409,
            code="not_draft",
        )
    return a


def pai8_evidence_add(
    *,
    assessment: Pai8Assessment,
    actor: User,
    checkpoint: str,
    kind: str,
    title: str = "",
    note: str = "",
    upload: Upload | None = None,
    url: str = "",
    ref: str = "",
) -> Pai8Evidence:
    """Attach one piece of evidence to a checkpoint of a draft (same checks as the DSA's)."""
    _check(assessment, actor, checkpoint, "attach evidence")
    k = pai8_kind(kind)
    item = Pai8Evidence(assessment=assessment, checkpoint=checkpoint, added_by=actor)
    stored = prepare_evidence(
        item, kind=k, scope=scope_of(assessment), title=title, note=note, upload=upload, url=url, ref=ref
    )
    try:
        with transaction.atomic():
            item.assessment = _locked_draft(assessment)
            item.save()
            _audit(
                "pai8.evidence_added",
                assessment,
                actor=actor,
                org=assessment.organisation,
                data={
                    "item": item.pk,
                    "checkpoint": checkpoint,
                    "kind": item.kind,
                    "title": item.title,
                    "sha256": item.sha256 or None,
                    "ref": f"{item.ref_type}:{item.ref_id}" if item.ref_id else None,
                },
            )
    except BaseException:
        if stored is not None:
            storage.discard(stored.storage_name)
        raise
    return item


def pai8_evidence_remove(*, item: Pai8Evidence, actor: User) -> Pai8Evidence:
    """Take an item off a draft; a stored file stays on disk (an earlier report may cite it)."""
    a = item.assessment
    _check(a, actor, item.checkpoint, "remove evidence")
    with transaction.atomic():
        _locked_draft(a)
        item = Pai8Evidence.objects.select_for_update().get(pk=item.pk)
        if item.removed_at is not None:
            raise DomainError("That evidence was already removed.", status=409, code="already_removed")
        item.removed_at = timezone.now()
        item.save(update_fields=["removed_at"])
        _audit(
            "pai8.evidence_removed",
            a,
            actor=actor,
            org=a.organisation,
            data={"item": item.pk, "checkpoint": item.checkpoint, "title": item.title},
        )
    return item


# -- one-click attach of proposals -------------------------------------------------------------

ATTACHABLE = {
    "inventory": "inventory",
    "inventory_vendors": "inventory",
    "analyses": "analysis",
    "simulations": "simulation",
}


def _already(assessment: Pai8Assessment, checkpoint: str) -> set[tuple[str, int]]:
    return {
        (t, i)
        for t, i in assessment.evidence_items.filter(
            checkpoint=checkpoint, removed_at__isnull=True
        ).values_list("ref_type", "ref_id")
        if i is not None
    }


def _latest_analysis_refs(assessment: Pai8Assessment, kind: EvidenceKind) -> list[str]:
    """Head versions of the organisation's live workflows that have a stored PSF analysis."""
    from studio.models import Analysis, WorkflowVersion

    heads = list(
        WorkflowVersion.objects.filter(
            workflow__organisation_id=assessment.organisation_id,
            workflow__deleted_at__isnull=True,
            number=_head_number(),
        )
        .order_by("workflow__name")
        .values_list("pk", "content_hash")[:50]
    )
    analysed = set(
        Analysis.objects.filter(
            organisation_id=assessment.organisation_id, content_hash__in=[h for _, h in heads]
        ).values_list("content_hash", flat=True)
    )
    return [str(pk) for pk, h in heads if h in analysed]


def _head_number() -> Any:
    from django.db.models import F

    return F("workflow__head_number")


def pai8_evidence_attach_proposal(
    *, assessment: Pai8Assessment, actor: User, checkpoint: str, proposal: str
) -> list[Pai8Evidence]:
    """Turn a proposal ("Evidence already here") into reference evidence: the inventory's systems
    for the inventory proposals, the latest PSF analysis of each analysed workflow for the analyses
    proposal, the latest finished simulation of each workflow for the simulations proposal. Items already attached to the checkpoint are not attached twice."""
    _check(assessment, actor, checkpoint, "attach evidence")
    code = ATTACHABLE.get(proposal)
    if code is None:
        raise DomainError(
            "This proposal cannot be attached in one click; use “Add evidence”.",
            [ErrorItem("proposal", "not attachable")],
        )
    kind = pai8_kind(code)
    scope: Any = scope_of(assessment)  # what the DSA resolvers read of an Assessment
    if code == "inventory":
        values = [v for v, _ in _inventory_options(scope)][:100]
    elif code == "simulation":  # the latest finished run of each workflow
        seen: set[int] = set()
        values = []
        for run in _simulations(scope)[:500]:
            if run.workflow_id not in seen:
                seen.add(run.workflow_id)
                values.append(str(run.pk))
    else:
        values = _latest_analysis_refs(assessment, kind)
    if not values:
        raise DomainError("There is nothing to attach yet.", [ErrorItem("proposal", "nothing to attach")])
    have = _already(assessment, checkpoint)
    added: list[Pai8Evidence] = []
    for value in values:
        assert kind.resolve is not None
        resolved = kind.resolve(scope, value)
        if (resolved.ref_type, resolved.ref_id) in have:
            continue
        added.append(
            pai8_evidence_add(assessment=assessment, actor=actor, checkpoint=checkpoint, kind=code, ref=value)
        )
        have.add((resolved.ref_type, resolved.ref_id))
    return added


# -- reads -------------------------------------------------------------------------------------


def evidence_by_checkpoint(assessment: Pai8Assessment) -> dict[str, list[Pai8Evidence]]:
    out: dict[str, list[Pai8Evidence]] = {}
    for item in assessment.evidence_items.filter(removed_at__isnull=True).order_by("checkpoint", "created"):
        out.setdefault(item.checkpoint, []).append(item)
    return out


def evidence_json(item: Pai8Evidence) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": item.kind, "title": item.title}
    if item.kind == "file":
        row.update(
            sha256=item.sha256,
            size=item.size,
            file_name=item.original_name,
            content_type=item.content_type,
        )
    elif item.kind == "link":
        row["url"] = item.url
    else:
        row["ref"] = {"type": item.ref_type, "id": item.ref_id, "label": item.ref_label}
    if item.note:
        row["note"] = item.note
    row["added"] = item.created.isoformat()
    return row
