"""Writes of the organisation path: the inventory and PAI-8 self-assessments. Every change is
audited; every refusal is a DomainError with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation, User
from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem
from psf.maturity import MaturityFramework
from psf.selectors import maturity_of, pai8_version_get

from .inventory import RowReport, facts_from_documents, merge_map_facts
from .models import AISystem, ImprovementAction, Pai8Answer, Pai8Assessment, Pai8Evidence

# -- inventory ---------------------------------------------------------------------------------


def _audit(
    action: str, obj: Any, *, actor: User | None, org: Organisation, data: dict[str, Any] | None = None
) -> None:
    audit_event_append(
        action=action,
        object_type=obj.__class__.__name__.lower(),
        object_id=obj.pk,
        actor_email=actor.email if actor else "",
        organisation_id=org.pk,
        data=data or {},
    )


def fill_from_maps(system: AISystem) -> list[str]:
    """Vendors, models, data categories and autonomy from the system's linked workflow maps."""
    from studio.models import WorkflowVersion

    # Only the head version of each live workflow (its map is what the system runs now).
    docs = WorkflowVersion.objects.filter(
        workflow__in=system.workflows.filter(deleted_at__isnull=True), number=F("workflow__head_number")
    ).values_list("document", flat=True)
    return merge_map_facts(system, facts_from_documents(docs))


def ai_system_save(
    *,
    organisation: Organisation,
    actor: User,
    values: dict[str, Any],
    workflows: Iterable[Any] = (),
    system: AISystem | None = None,
) -> AISystem:
    """Create or update a system; linked workflows fill vendors, models, data and autonomy."""
    creating = system is None
    if system is None:
        system = AISystem(organisation=organisation, created_by=actor)
    before = {k: getattr(system, k) for k in values} if not creating else {}
    for key, value in values.items():
        setattr(system, key, value)
    system.updated = timezone.now()
    duplicate = DomainError(
        "A system with this name is already in the inventory.",
        [ErrorItem("name", "already in use (names are compared without regard to case)")],
        status=400,
    )
    # The import compares names case-insensitively; so does the form ("CV bot" and "cv bot" are one).
    same_name = AISystem.objects.filter(organisation=organisation, name__iexact=system.name)
    if same_name.exclude(pk=system.pk).exists():
        raise duplicate
    try:
        with transaction.atomic():
            system.save()
            system.workflows.set([w for w in workflows if w.organisation_id == organisation.pk])
            filled = fill_from_maps(system)
            if filled:
                system.save(update_fields=filled)
            changed = (
                sorted(k for k in values if before.get(k) != values[k]) if not creating else sorted(values)
            )
            _audit(
                "inventory.created" if creating else "inventory.updated",
                system,
                actor=actor,
                org=organisation,
                data={"name": system.name, "fields": changed, "filled_from_maps": filled},
            )
    except IntegrityError:
        raise duplicate from None
    return system


def ai_system_delete(*, system: AISystem, actor: User) -> None:
    with transaction.atomic():
        _audit("inventory.deleted", system, actor=actor, org=system.organisation, data={"name": system.name})
        system.delete()


def inventory_import(*, organisation: Organisation, actor: User, reports: list[RowReport]) -> tuple[int, int]:
    """Apply the valid rows of a checked import (new names are created, known names updated).
    Returns (created, updated). All or nothing."""
    existing = {s.name.casefold(): s for s in AISystem.objects.filter(organisation=organisation)}
    created = updated = 0
    now = timezone.now()
    with transaction.atomic():
        for r in reports:
            if not r.ok:
                continue
            system = existing.get(r.name.casefold())
            if system is None:
                system = AISystem(organisation=organisation, created_by=actor)
                created += 1
            else:
                updated += 1
            for key, value in r.values.items():
                setattr(system, key, value)
            system.updated = now
            system.save()
        audit_event_append(
            action="inventory.imported",
            object_type="organisation",
            object_id=organisation.pk,
            actor_email=actor.email,
            organisation_id=organisation.pk,
            data={"created": created, "updated": updated, "refused": sum(1 for r in reports if not r.ok)},
        )
    return created, updated


# -- PAI-8 self-assessment ---------------------------------------------------------------------


def framework_of(assessment: Pai8Assessment) -> MaturityFramework:
    return maturity_of(assessment.framework_version)


def pai8_assessment_start(*, organisation: Organisation, actor: User) -> Pai8Assessment:
    """Start a self-assessment under the current PAI-8, pre-filled from the latest one (so a
    re-assessment only records what changed). One draft at a time."""
    rv = pai8_version_get()
    if rv is None:
        raise DomainError("PAI-8 is not loaded on this instance (run manage.py load_rubric).", status=409)
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        draft = Pai8Assessment.objects.filter(organisation=organisation, status=Pai8Assessment.DRAFT).first()
        if draft is not None:
            return draft
        previous = (
            Pai8Assessment.objects.filter(organisation=organisation, framework_version=rv)
            .exclude(status=Pai8Assessment.DRAFT)
            .order_by("-created")
            .first()
        )
        a = Pai8Assessment.objects.create(organisation=organisation, framework_version=rv, started_by=actor)
        if previous is not None:
            Pai8Answer.objects.bulk_create(
                [
                    Pai8Answer(
                        assessment=a,
                        checkpoint=old.checkpoint,
                        level=old.audited_level if old.audited_level is not None else old.level,
                        justification=old.justification,
                        evidence=old.evidence,
                        owner=old.owner,
                        updated_by=actor,
                    )
                    for old in previous.answers.all()
                ]
            )
            # Attached evidence carries over too (files are shared, never deleted; references
            # stay references), so a re-assessment only adds what changed.
            Pai8Evidence.objects.bulk_create(
                [
                    Pai8Evidence(
                        **{
                            f.attname: getattr(old, f.attname)
                            for f in Pai8Evidence._meta.concrete_fields
                            if f.attname not in ("id", "assessment_id", "created")
                        },
                        assessment=a,
                    )
                    for old in previous.evidence_items.filter(removed_at__isnull=True)
                ]
            )
        _audit("pai8.started", a, actor=actor, org=organisation, data={"framework": rv.key})
    return a


def pai8_answers_save(
    *, assessment: Pai8Assessment, actor: User, answers: dict[str, dict[str, Any]]
) -> list[ErrorItem]:
    """Save levels with justification for checkpoints (``{"C1.1": {"level": 2, "justification": …,
    "evidence": …, "owner": …}}``). A level needs a justification. Returns the refused items
    (path ``C1.1.justification``); the rest is saved."""
    if assessment.status != Pai8Assessment.DRAFT:
        raise DomainError(
            "This self-assessment is no longer a draft; start a new one to change it.", status=409
        )
    fw = framework_of(assessment)
    errors: list[ErrorItem] = []
    saved: list[str] = []
    with transaction.atomic():
        current = {a.checkpoint: a for a in assessment.answers.select_for_update()}
        for code, entry in answers.items():
            if fw.checkpoint(code) is None:
                errors.append(ErrorItem(code, "not a checkpoint of this framework"))
                continue
            level = entry.get("level")
            justification = (entry.get("justification") or "").strip()
            if level in (None, ""):
                continue
            if not isinstance(level, int) or not 0 <= level <= 3:
                errors.append(ErrorItem(f"{code}.level", "choose a level from L0 to L3"))
                continue
            if not justification:
                errors.append(ErrorItem(f"{code}.justification", "a level needs a justification"))
                continue
            values = {
                "level": level,
                "justification": justification[:4000],
                "evidence": (entry.get("evidence") or "").strip()[:4000],
                "owner": (entry.get("owner") or "").strip()[:200],
            }
            row = current.get(code)
            if row is None:
                Pai8Answer.objects.create(assessment=assessment, checkpoint=code, updated_by=actor, **values)
                saved.append(code)
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_by, row.updated = actor, timezone.now()
                row.save()
                saved.append(code)
        if saved:
            _audit(
                "pai8.answered",
                assessment,
                actor=actor,
                org=assessment.organisation,
                data={"checkpoints": saved},
            )
    return errors


def _levels(assessment: Pai8Assessment, *, audited: bool = False) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for a in assessment.answers.all():
        out[a.checkpoint] = a.audited_level if audited and a.audited_level is not None else a.level
    return out


def pai8_assessment_complete(*, assessment: Pai8Assessment, actor: User) -> Pai8Assessment:
    """Freeze a draft whose every checkpoint has a level: the posture is computed by the rule."""
    if assessment.status != Pai8Assessment.DRAFT:
        raise DomainError("Only a draft can be completed.", status=409)
    fw = framework_of(assessment)
    posture = fw.posture(_levels(assessment))
    if not posture.complete:
        missing = [p.code for p in fw.all_checkpoints() if p.code not in _levels(assessment)]
        raise DomainError(
            f"Every checkpoint needs a level before the posture can be rated ({len(missing)} to go).",
            [ErrorItem(code, "no level yet") for code in missing],
            status=400,
        )
    with transaction.atomic():
        assessment.status = Pai8Assessment.COMPLETED
        assessment.completed_at = timezone.now()
        assessment.posture_level = posture.level
        assessment.posture_mean = posture.mean
        assessment.control_levels = posture.controls
        assessment.save()
        _audit(
            "pai8.completed",
            assessment,
            actor=actor,
            org=assessment.organisation,
            data={"posture": posture.level, "mean": posture.mean, "controls": posture.controls},
        )
    return assessment


def pai8_assessment_submit(*, assessment: Pai8Assessment, actor: User) -> Pai8Assessment:
    if assessment.status != Pai8Assessment.COMPLETED:
        raise DomainError("Complete the self-assessment before submitting it for review.", status=409)
    with transaction.atomic():
        assessment.status = Pai8Assessment.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.save(update_fields=["status", "submitted_at"])
        _audit("pai8.submitted", assessment, actor=actor, org=assessment.organisation)
    return assessment


def pai8_audit(
    *, assessment: Pai8Assessment, assessor: User, decisions: dict[str, dict[str, Any]]
) -> Pai8Assessment:
    """An assessor confirms or changes each checkpoint's level, with a comment where changed. The
    result is marked audited with the assessor and date. Conflict of interest is checked by the
    caller's access predicate; this checks completeness."""
    if assessment.status != Pai8Assessment.SUBMITTED:
        raise DomainError("Only a submitted self-assessment can be audited.", status=409)
    fw = framework_of(assessment)
    answers = {a.checkpoint: a for a in assessment.answers.all()}
    errors: list[ErrorItem] = []
    for p in fw.all_checkpoints():
        d = decisions.get(p.code) or {}
        level = d.get("level")
        if not isinstance(level, int) or not 0 <= level <= 3:
            errors.append(ErrorItem(f"{p.code}.level", "confirm or change the level (L0–L3)"))
        elif level != answers[p.code].level and not (d.get("comment") or "").strip():
            errors.append(ErrorItem(f"{p.code}.comment", "say why the level changed"))
    if errors:
        raise DomainError("Some checkpoints need your decision.", errors, status=400)
    with transaction.atomic():
        for code, a in answers.items():
            a.audited_level = decisions[code]["level"]
            a.audit_comment = (decisions[code].get("comment") or "").strip()[:4000]
            a.save(update_fields=["audited_level", "audit_comment"])
        posture = fw.posture(_levels(assessment, audited=True))
        assessment.status = Pai8Assessment.AUDITED
        assessment.auditor = assessor
        assessment.audited_at = timezone.now()
        assessment.audited_posture_level = posture.level
        assessment.audited_posture_mean = posture.mean
        assessment.audited_control_levels = posture.controls
        assessment.save()
        _audit(
            "pai8.audited",
            assessment,
            actor=assessor,
            org=assessment.organisation,
            data={
                "posture": posture.level,
                "changed": sorted(c for c, a in answers.items() if a.audited_level != a.level),
            },
        )
    return assessment


# -- improvement plan --------------------------------------------------------------------------


def improvement_action_save(
    *,
    organisation: Organisation,
    actor: User,
    control: str,
    action: str,
    owner: str,
    due: date,
    status: str = ImprovementAction.OPEN,
    assessment: Pai8Assessment | None = None,
    existing: ImprovementAction | None = None,
) -> ImprovementAction:
    row = existing or ImprovementAction(organisation=organisation, assessment=assessment)
    row.control, row.action, row.owner, row.due, row.status = control, action[:500], owner[:200], due, status
    with transaction.atomic():
        row.save()
        _audit(
            "pai8.action_saved",
            row,
            actor=actor,
            org=organisation,
            data={"control": control, "status": status, "due": due.isoformat()},
        )
    return row
