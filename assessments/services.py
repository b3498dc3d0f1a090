"""The Deployment Safety Assessment state machine — every write to an assessment goes through here.

    applied ──accept──▶ scoping ──scope──▶ preparing ──submit──▶ submitted ──claim──▶ in_review
                                               ▲                                    │   ▲
                                               │                  request_clarification  resubmit
                                               │                                    ▼   │
                                               │                               clarification
       failed ──open_reassessment (≤ 90 days)──┘ (a new assessment)        in_review ──decide──▶ passed | failed
       any open state ──withdraw──▶ withdrawn

Each transition checks who may do it (organisation admin or member, the assigned assessor, a
platform admin) and from which state, refuses anything else with a :class:`DomainError` a person
can act on, and writes one audit event (hash-chained, ``core.audit``), one activity event and the
emails of the step (``notifications.notify``). A conflict of interest — an assessor who is a member
of the assessed organisation — is refused here, whatever the UI shows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.access import conflict_of_interest, is_conflicted
from accounts.models import Membership, Organisation, User
from core.audit import audit_event_append
from lib.canonical import content_hash
from lib.errors import DomainError, ErrorItem
from lib.uploads import inspect_upload
from psf.rubric import EVIDENCE_TYPE_LABELS, Rubric
from psf.selectors import rubric_of, rubric_version_current
from studio.models import Workflow, WorkflowVersion

from . import sla, storage
from .evidence_kinds import EvidenceKind, analysis_service, evidence_kind
from .models import Assessment, Clarification, CriterionScore, EvidenceItem, GapReport, Submission
from .notifications import notify
from .policy import policy

log = logging.getLogger(__name__)

A = Assessment
# action → (states it may start from, human name of the action)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((A.APPLIED,), "accepted"),
    "scope": ((A.SCOPING, A.PREPARING), "scoped"),
    "edit_evidence": ((A.PREPARING, A.CLARIFICATION), "changed"),
    "submit": ((A.PREPARING, A.CLARIFICATION), "submitted"),
    "claim": ((A.SUBMITTED,), "claimed"),
    "score": ((A.IN_REVIEW,), "scored"),
    "request_clarification": ((A.IN_REVIEW,), "sent back for clarification"),
    "answer": ((A.CLARIFICATION,), "answered"),
    "decide": ((A.IN_REVIEW,), "decided"),
    "assign": (A.OPEN_STATES, "assigned"),
    "withdraw": (A.OPEN_STATES, "withdrawn"),
    "open_reassessment": ((A.FAILED,), "reassessed"),
}
OUTCOMES = ("pass", "fail")
STATUS_LABELS = dict(A.STATUSES)


# --- guards -----------------------------------------------------------------------------------


def _forbidden(message: str) -> DomainError:
    return DomainError(message, status=403, code="forbidden")


def _require_state(assessment: Assessment, action: str) -> None:
    states, verb = TRANSITIONS[action]
    if assessment.status not in states:
        allowed = " or ".join(f"“{STATUS_LABELS[s]}”" for s in states)
        raise DomainError(
            f"{assessment.reference} is “{assessment.get_status_display()}”, so it cannot be {verb} now "
            f"(only while it is {allowed}).",
            status=409,
            code="illegal_transition",
        )


def _membership(user: User | None, organisation_id: int) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation_id=organisation_id).first()


def _require_member(
    actor: User, assessment_or_org: Assessment | Organisation, *, admin: bool, doing: str
) -> Membership:
    org_id = (
        assessment_or_org.organisation_id
        if isinstance(assessment_or_org, Assessment)
        else assessment_or_org.pk
    )
    m = _membership(actor, org_id)
    if m is None:
        raise _forbidden(f"Only members of the organisation can {doing}.")
    if admin and not m.is_admin:
        raise _forbidden(f"Only an organisation admin can {doing}.")
    return m


def _is_assessor(user: User | None) -> bool:
    return bool(user is not None and user.is_active and (user.is_assessor or user.is_staff))


def _require_assessor(actor: User, assessment: Assessment, *, doing: str, assigned: bool = True) -> None:
    if not _is_assessor(actor):
        raise _forbidden(f"Only a platform assessor can {doing}.")
    # The one conflict-of-interest rule (accounts.access): a current member, or a member in the
    # last two years, never reviews the organisation.
    conflict = conflict_of_interest(actor, assessment.organisation)
    if conflict:
        raise _forbidden(f"{conflict}, so you cannot {doing} for its assessment.")
    if assigned and assessment.assessor_id != actor.pk:
        who = assessment.assessor.display_name if assessment.assessor else "nobody yet"
        raise _forbidden(
            f"{assessment.reference} is assigned to {who}; only the assigned assessor can {doing}."
        )


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "someone else"


def _locked(assessment: Assessment) -> Assessment:
    """The assessment re-read inside the transaction (row-locked where the database can)."""
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("organisation", "assessor", "rubric_version")
        .get(pk=assessment.pk)
    )


def _audit(assessment: Assessment, actor: User | None, action: str, **data: Any) -> None:
    audit_event_append(
        action=f"assessment.{action}",
        object_type="assessment",
        object_id=assessment.pk,
        actor_email=actor.email if actor else "",
        organisation_id=assessment.organisation_id,
        data={"reference": assessment.reference, "status": assessment.status, **data},
    )


def _save(assessment: Assessment, *fields: str) -> None:
    assessment.updated = timezone.now()
    assessment.save(update_fields=[*fields, "updated"])


def rubric_for(assessment: Assessment) -> Rubric:
    return rubric_of(assessment.rubric_version)


# --- 1. Apply ---------------------------------------------------------------------------------------


def assessment_apply(
    *, organisation: Organisation, actor: User, systems_description: str, size_tier: str, expedited: bool
) -> Assessment:
    """An organisation admin applies; acknowledgement is due in 2 business days (1 expedited)."""
    _require_member(actor, organisation, admin=True, doing="apply for an assessment")
    description = (systems_description or "").strip()
    errors = []
    if not description:
        errors.append(ErrorItem("systems_description", "Describe the AI systems you want assessed."))
    elif len(description) > 10000:
        errors.append(ErrorItem("systems_description", "Keep the description under 10,000 characters."))
    if size_tier not in dict(Organisation.SIZE_TIERS):
        errors.append(ErrorItem("size_tier", "Choose a size tier."))
    if errors:
        raise DomainError("The application is not complete.", errors)
    rv = rubric_version_current()
    if rv is None:
        raise DomainError(
            "No PSF rubric is loaded; a platform admin must run `manage.py load_rubric`.",
            status=503,
            code="no_rubric",
        )
    with transaction.atomic():
        open_one = Assessment.objects.filter(organisation=organisation, status__in=A.OPEN_STATES).first()
        if open_one is not None:
            raise DomainError(
                f"{organisation.name} already has an open assessment ({open_one.reference}, {open_one.get_status_display()}); "
                "finish or withdraw it before applying again.",
                status=409,
                code="already_open",
            )
        track = policy().track(expedited)
        now = timezone.now()
        assessment = Assessment.objects.create(
            organisation=organisation,
            rubric_version=rv,
            systems_description=description,
            size_tier=size_tier,
            expedited=bool(expedited),
            applied_by=actor,
            applied_at=now,
            acknowledge_due=sla.due_after(track.acknowledge_days),
            checklist=checklist_default(rubric_of(rv)),
            created=now,
            updated=now,
        )
        _audit(
            assessment,
            actor,
            "applied",
            expedited=assessment.expedited,
            size_tier=size_tier,
            acknowledge_due=assessment.acknowledge_due.isoformat(),
        )
        notify(
            assessment=assessment,
            actor=actor,
            event="applied",
            text=f"{actor.display_name} applied for a {track.label.lower()} assessment; an assessor acknowledges it within {track.acknowledge_days} business day{'s' if track.acknowledge_days != 1 else ''}.",
        )
    return assessment


def checklist_default(rubric: Rubric) -> list[dict[str, Any]]:
    """The evidence checklist generated from the rubric: per criterion, the evidence types expected."""
    return [{"criterion": c.code, "evidence": list(c.evidence), "note": ""} for c in rubric.all_criteria()]


# --- 2. Scoping -------------------------------------------------------------------------------------


def assessment_accept(*, assessment: Assessment, actor: User) -> Assessment:
    """An assessor acknowledges the application and becomes its assigned assessor."""
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "accept")
        _require_assessor(actor, a, doing="accept an application", assigned=False)
        if a.assessor_id and a.assessor_id != actor.pk:
            raise _forbidden(
                f"{a.reference} is assigned to {_name(a.assessor)}; ask a platform admin to reassign it."
            )
        now = timezone.now()
        a.assessor = actor
        a.acknowledged_at = now
        a.status = A.SCOPING
        if a.target_date is None:
            a.target_date = sla.due_after(policy().track(a.expedited).target_days, start=a.applied_at.date())
        _save(a, "assessor", "acknowledged_at", "status", "target_date")
        late = sla.today() > a.acknowledge_due
        _audit(a, actor, "accepted", assessor=actor.email, acknowledged_late=late)
        notify(
            assessment=a,
            actor=actor,
            event="accepted",
            text=f"{actor.display_name} accepted the application and will agree the scope with you.",
        )
    return a


def _clean_checklist(rubric: Rubric, checklist: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {c.code for c in rubric.all_criteria()}
    by_code: dict[str, dict[str, Any]] = {}
    errors = []
    for i, row in enumerate(checklist):
        code = str(row.get("criterion", ""))
        if code not in known:
            errors.append(ErrorItem(f"checklist[{i}].criterion", f"unknown criterion {code[:20]!r}"))
            continue
        types = [str(t) for t in row.get("evidence", [])]
        bad = [t for t in types if t not in EVIDENCE_TYPE_LABELS]
        if bad:
            errors.append(ErrorItem(f"checklist[{i}].evidence", f"unknown evidence type {bad[0][:40]!r}"))
        note = str(row.get("note", "")).strip()
        if len(note) > 1000:
            errors.append(ErrorItem(f"checklist[{i}].note", "keep notes under 1,000 characters"))
        by_code[code] = {"criterion": code, "evidence": list(dict.fromkeys(types)), "note": note[:1000]}
    if errors:
        raise DomainError("The evidence checklist is not valid.", errors)
    # Criteria left out keep the rubric's defaults: the checklist always covers the whole rubric.
    return [
        by_code.get(c.code, {"criterion": c.code, "evidence": list(c.evidence), "note": ""})
        for c in rubric.all_criteria()
    ]


def assessment_scope(
    *,
    assessment: Assessment,
    actor: User,
    workflows: Iterable[Workflow],
    scope_summary: str,
    timeline: str,
    target_date: date | None,
    checklist: Iterable[dict[str, Any]],
) -> Assessment:
    """The assigned assessor records the agreed scope, timeline and evidence checklist.

    From "scoping" this moves the assessment to "mapping & evidence"; while the organisation
    prepares, the assessor may revise the scope (recorded, no state change).
    """
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "scope")
        _require_assessor(actor, a, doing="agree the scope")
        wfs = list(workflows)
        foreign = [w for w in wfs if w.organisation_id != a.organisation_id or w.deleted_at is not None]
        if foreign:
            raise DomainError(
                "Only the organisation's own workflows can be in scope.",
                [ErrorItem("workflows", "not a workflow of this organisation")],
            )
        summary = (scope_summary or "").strip()
        if not summary and not wfs:
            raise DomainError(
                "Record what is in scope: the AI systems in words, the workflows, or both.",
                [ErrorItem("scope_summary", "required")],
            )
        if target_date is not None and target_date < sla.today():
            raise DomainError(
                "The target date is in the past.", [ErrorItem("target_date", "choose a date from today on")]
            )
        a.scope_summary = summary[:5000]
        a.timeline = (timeline or "").strip()[:2000]
        if target_date is not None:
            a.target_date = target_date
        a.checklist = _clean_checklist(rubric_for(a), checklist)
        first = a.status == A.SCOPING
        if first:
            a.status = A.PREPARING
            a.scoped_at = timezone.now()
        _save(a, "scope_summary", "timeline", "target_date", "checklist", "status", "scoped_at")
        a.scope_workflows.set(wfs)
        data = {
            "workflows": sorted(w.pk for w in wfs),
            "target_date": a.target_date.isoformat() if a.target_date else None,
            "checklist_hash": content_hash(a.checklist),
        }
        if first:
            _audit(a, actor, "scoped", **data)
            mapped = (
                f"{len(wfs)} workflow{'s' if len(wfs) != 1 else ''} in scope"
                if wfs
                else "no workflow map yet"
            )
            notify(
                assessment=a,
                actor=actor,
                event="scoped",
                text=f"Scope agreed ({mapped}): map the in-scope workflows in the studio and attach evidence per criterion.",
            )
        else:
            _audit(a, actor, "scope_updated", **data)
            notify(
                assessment=a,
                actor=actor,
                event="scope_updated",
                text=f"{actor.display_name} revised the scope or the evidence checklist.",
            )
    return a


def scope_workflow_add(*, assessment: Assessment, actor: User, workflow: Workflow) -> Assessment:
    """The organisation links one of its workflow maps to the agreed scope while it prepares."""
    with transaction.atomic():
        a = _locked(assessment)
        _require_member(actor, a, admin=False, doing="change the workflows in scope")
        _require_state(a, "edit_evidence")
        if workflow.organisation_id != a.organisation_id or workflow.deleted_at is not None:
            raise DomainError(
                "Only your organisation's own workflows can be in scope.",
                [ErrorItem("workflow", "unknown workflow")],
            )
        if a.scope_workflows.filter(pk=workflow.pk).exists():
            raise DomainError(
                f"“{workflow.name}” is already in scope.", [ErrorItem("workflow", "already in scope")]
            )
        a.scope_workflows.add(workflow)
        _save(a)
        _audit(a, actor, "scope_workflow_added", workflow=workflow.pk)
        notify(
            assessment=a,
            actor=actor,
            event="scope_workflow_added",
            text=f"{actor.display_name} added the workflow “{workflow.name}” to the scope.",
        )
    return a


# --- 4. Evidence ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the service sees it: the name the client sent, a seekable stream, a size."""

    name: str
    stream: BinaryIO
    size: int | None = None


def _chunks(stream: BinaryIO, size: int = 1024 * 1024) -> Iterable[bytes]:
    stream.seek(0)
    while block := stream.read(size):
        yield block


def prepare_evidence(
    item: Any,
    *,
    kind: EvidenceKind,
    scope: Any,
    title: str = "",
    note: str = "",
    upload: Upload | None = None,
    url: str = "",
    ref: str = "",
) -> storage.StoredFile | None:
    """Fill an unsaved evidence row (a DSA ``EvidenceItem`` or anything with the same fields, such
    as a PAI-8 ``governance.Pai8Evidence``) from what the user chose: a file checked by content and
    size and stored privately, an http(s) link, or a reference resolved within ``scope`` (an
    ``Assessment`` or an :class:`~assessments.evidence_kinds.OrganisationScope`).

    Returns the stored file (the caller discards it if saving fails), or None.
    """
    title = (title or "").strip()[:200]
    note = (note or "").strip()
    if len(note) > 5000:
        raise DomainError("Keep the note under 5,000 characters.", [ErrorItem("note", "too long")])
    item.kind, item.note = kind.code, note
    stored: storage.StoredFile | None = None
    if kind.code == "file":
        if upload is None:
            raise DomainError("Choose a file to upload.", [ErrorItem("file", "required")])
        info = inspect_upload(upload.name, upload.stream, upload.size, max_bytes=settings.MAX_UPLOAD_BYTES)
        stored = storage.store_chunks(_chunks(upload.stream))
        item.storage_name, item.size, item.sha256 = stored.storage_name, stored.size, stored.sha256
        item.original_name, item.content_type = info.display_name, info.content_type
        item.title = title or info.display_name
    elif kind.code == "link":
        link = (url or "").strip()
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError:
            raise DomainError(
                "Enter a full web address starting with https://.",
                [ErrorItem("url", "not a valid http(s) URL")],
            ) from None
        item.url = link[:2000]
        item.title = title or link[:200]
    elif kind.resolve is not None:
        resolved = kind.resolve(scope, ref)
        item.ref_type, item.ref_id, item.ref_label = resolved.ref_type, resolved.ref_id, resolved.label[:300]
        item.title = title or resolved.label[:200]
    else:
        raise DomainError(
            f"Evidence of kind “{kind.label}” cannot be attached here.", [ErrorItem("kind", "unsupported")]
        )
    return stored


def evidence_add(
    *,
    assessment: Assessment,
    actor: User,
    criterion: str,
    kind: str,
    title: str = "",
    note: str = "",
    upload: Upload | None = None,
    url: str = "",
    ref: str = "",
) -> EvidenceItem:
    """Attach one piece of evidence to a criterion (files are checked by content and stored privately)."""
    a = Assessment.objects.select_related("organisation", "rubric_version").get(pk=assessment.pk)
    _require_member(actor, a, admin=False, doing="attach evidence")
    _require_state(a, "edit_evidence")
    if rubric_for(a).criterion(criterion) is None:
        raise DomainError(
            "Choose one of the rubric's criteria.",
            [ErrorItem("criterion", f"unknown criterion {criterion[:20]!r}")],
        )
    k = evidence_kind(kind)
    item = EvidenceItem(assessment=a, criterion=criterion, kind=k.code, added_by=actor)
    stored = prepare_evidence(item, kind=k, scope=a, title=title, note=note, upload=upload, url=url, ref=ref)
    try:
        with transaction.atomic():
            a = _locked(a)
            _require_state(a, "edit_evidence")  # it may have been submitted meanwhile
            item.assessment = a
            item.save()
            _save(a)
            _audit(
                a,
                actor,
                "evidence_added",
                item=item.pk,
                criterion=criterion,
                kind=k.code,
                title=item.title,
                sha256=item.sha256 or None,
                ref=f"{item.ref_type}:{item.ref_id}" if item.ref_id else None,
            )
            notify(
                assessment=a,
                actor=actor,
                event="evidence_added",
                text=f"{actor.display_name} attached “{item.title}” to {criterion}.",
            )
    except BaseException:
        if stored is not None:
            storage.discard(stored.storage_name)
        raise
    return item


def evidence_remove(*, item: EvidenceItem, actor: User) -> EvidenceItem:
    """Take an item off the working set; its file stays on disk (a snapshot may cite it)."""
    with transaction.atomic():
        a = _locked(item.assessment)
        _require_member(actor, a, admin=False, doing="remove evidence")
        _require_state(a, "edit_evidence")
        if item.removed_at is not None:
            raise DomainError("That evidence was already removed.", status=409, code="already_removed")
        item.removed_at = timezone.now()
        item.save(update_fields=["removed_at"])
        _save(a)
        _audit(a, actor, "evidence_removed", item=item.pk, criterion=item.criterion)
        notify(
            assessment=a,
            actor=actor,
            event="evidence_removed",
            text=f"{actor.display_name} removed “{item.title}” from {item.criterion}.",
        )
    return item


# --- submission snapshot -----------------------------------------------------------------------------


def _scope_snapshot(a: Assessment) -> list[dict[str, Any]]:
    rows = []
    service = analysis_service()
    for wf in a.scope_workflows.order_by("name"):
        head = WorkflowVersion.objects.filter(workflow=wf, number=wf.head_number).first()
        row: dict[str, Any] = {
            "workflow_id": wf.pk,
            "name": wf.name,
            "deleted": wf.deleted_at is not None,
            "version": None,
            "analysis": None,
        }
        if head is not None:
            row["version"] = {
                "id": head.pk,
                "number": head.number,
                "content_hash": head.content_hash,
                "nodes": head.node_count,
                "edges": head.edge_count,
            }
            if service is not None:
                try:
                    an = service.analysis_for_version(version=head)
                except Exception:  # an analysis problem must not block a submission; the snapshot says so
                    log.exception("analysis of %s failed during submission", head)
                    an = None
                if an is not None:
                    criteria = {
                        c["code"]: {"status": c["status"], "score": c["score"]}
                        for c in an.result.get("criteria", [])
                    }
                    row["analysis"] = {
                        "id": an.pk,
                        "overall_score": an.overall_score,
                        "passed": an.passed,
                        "rules_version": an.rules_version,
                        "criteria": criteria,
                    }
        rows.append(row)
    return rows


def _item_snapshot(item: EvidenceItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.pk,
        "kind": item.kind,
        "title": item.title,
        "note": item.note,
        "added_by": item.added_by.email if item.added_by else None,
        "added": item.created.isoformat(),
    }
    if item.kind == "file":
        data.update(
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        )
    elif item.kind == "link":
        data["url"] = item.url
    else:
        data.update(ref_type=item.ref_type, ref_id=item.ref_id, ref_label=item.ref_label)
        try:
            k = evidence_kind(item.kind)
        except DomainError:
            k = None
        if k is not None and k.snapshot is not None:
            data["ref"] = k.snapshot(item)
    return data


def build_snapshot(a: Assessment, *, number: int, actor: User, at: Any) -> dict[str, Any]:
    """What the assessor will review, frozen: the rubric, scope, checklist and evidence with hashes."""
    rubric = rubric_for(a)
    items = list(
        a.evidence.filter(removed_at__isnull=True).select_related("added_by").order_by("criterion", "created")
    )
    checklist = {row["criterion"]: row for row in a.checklist}
    criteria = {}
    for c in rubric.all_criteria():
        row = checklist.get(c.code, {"evidence": list(c.evidence), "note": ""})
        criteria[c.code] = {
            "expected": row.get("evidence", []),
            "checklist_note": row.get("note", ""),
            "evidence": [_item_snapshot(i) for i in items if i.criterion == c.code],
        }
    answered = [
        {
            "questions": c.questions,
            "answer": c.answer,
            "asked": c.asked_at.isoformat(),
            "answered": c.answered_at.isoformat() if c.answered_at else None,
        }
        for c in a.clarifications.all()
    ]
    return {
        "schema": "workflowos.dsa-submission/v1",
        "assessment": a.reference,
        "organisation": {"id": a.organisation_id, "name": a.organisation.name},
        "number": number,
        "submitted_at": at.isoformat(),
        "submitted_by": actor.email,
        "rubric": {"key": a.rubric_version.key, "content_hash": a.rubric_version.content_hash},
        "expedited": a.expedited,
        "scope_summary": a.scope_summary,
        "scope": _scope_snapshot(a),
        "criteria": criteria,
        "clarifications": answered,
    }


def assessment_submit(*, assessment: Assessment, actor: User) -> Submission:
    """Freeze an immutable snapshot and put the assessment in the review queue.

    A first submission sets the review due date (5 business days, 2 expedited). A resubmission
    after a clarification returns the assessment to its assessor and restarts the paused SLA
    clock: the due date moves by the business days the clock was paused.
    """
    with transaction.atomic():
        a = _locked(assessment)
        _require_member(actor, a, admin=True, doing="submit the assessment")
        _require_state(a, "submit")
        if not a.scope_workflows.exists():
            raise DomainError(
                "Add at least one in-scope workflow map before submitting.",
                [ErrorItem("scope", "no workflow in scope")],
            )
        if not a.evidence.filter(removed_at__isnull=True).exists():
            raise DomainError(
                "Attach evidence to at least one criterion before submitting.",
                [ErrorItem("evidence", "no evidence attached")],
            )
        resubmission = a.status == A.CLARIFICATION
        if resubmission and a.clarifications.filter(answered_at__isnull=True).exists():
            raise DomainError(
                "Answer the assessor's questions before resubmitting.",
                [ErrorItem("answer", "unanswered clarification")],
            )
        now = timezone.now()
        number = (a.submissions.aggregate(n=Max("number"))["n"] or 0) + 1
        snapshot = build_snapshot(a, number=number, actor=actor, at=now)
        sub = Submission.objects.create(
            assessment=a,
            number=number,
            snapshot=snapshot,
            snapshot_hash=content_hash(snapshot),
            submitted_by=actor,
            created=now,
        )
        a.submitted_at = now
        if resubmission:
            paused_from = (a.sla_paused_at or now).date()
            paused_days = max(0, sla.business_days_from(paused_from, now.date()))
            if a.review_due is not None:
                a.review_due = sla.due_after(paused_days, start=a.review_due)
            a.sla_paused_at = None
            a.status = A.IN_REVIEW
            event, text = (
                "resubmitted",
                f"{actor.display_name} answered and resubmitted (submission {number}); the review clock runs again.",
            )
        else:
            a.review_due = sla.due_after(policy().track(a.expedited).review_days)
            a.status = A.SUBMITTED
            review_days = policy().track(a.expedited).review_days
            event, text = (
                "submitted",
                f"{actor.display_name} submitted the evidence (submission {number}); the review is due within {review_days} business days.",
            )
        _save(a, "submitted_at", "review_due", "sla_paused_at", "status")
        _audit(
            a,
            actor,
            event,
            submission=number,
            snapshot_hash=sub.snapshot_hash,
            review_due=a.review_due.isoformat() if a.review_due else None,
        )
        notify(assessment=a, actor=actor, event=event, text=text)
    return sub


# --- 5. Review --------------------------------------------------------------------------------------


def assessment_claim(*, assessment: Assessment, actor: User) -> Assessment:
    """An assessor takes a submission from the queue (their own, or an unassigned one)."""
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "claim")
        _require_assessor(actor, a, doing="claim this submission", assigned=False)
        if a.assessor_id and a.assessor_id != actor.pk:
            raise _forbidden(
                f"{a.reference} is assigned to {_name(a.assessor)}; ask a platform admin to reassign it."
            )
        a.assessor = actor
        a.claimed_at = timezone.now()
        a.status = A.IN_REVIEW
        _save(a, "assessor", "claimed_at", "status")
        _audit(a, actor, "claimed", assessor=actor.email)
        notify(
            assessment=a,
            actor=actor,
            event="claimed",
            text=f"{actor.display_name} started reviewing the submission.",
        )
    return a


def assessment_assign(*, assessment: Assessment, actor: User, assessor: User) -> Assessment:
    """A platform admin assigns (or reassigns) an open assessment to an assessor without a conflict."""
    with transaction.atomic():
        a = _locked(assessment)
        if not (actor.is_active and actor.is_staff):
            raise _forbidden("Only a platform admin can assign assessments.")
        _require_state(a, "assign")
        if not _is_assessor(assessor):
            raise DomainError(
                f"{assessor.email} is not a platform assessor.", [ErrorItem("assessor", "not an assessor")]
            )
        if is_conflicted(assessor, a.organisation_id):
            raise DomainError(
                f"Conflict of interest: {assessor.display_name} is or was recently a member of {a.organisation.name} and cannot be assigned.",
                [ErrorItem("assessor", "conflict of interest")],
                status=403,
                code="conflict_of_interest",
            )
        previous = a.assessor.email if a.assessor else None
        a.assessor = assessor
        _save(a, "assessor")
        _audit(a, actor, "assigned", assessor=assessor.email, previous=previous)
        notify(
            assessment=a,
            actor=actor,
            event="assigned",
            text=f"{actor.display_name} assigned the assessment to {assessor.display_name}.",
        )
    return a


def domain_scores_of(rubric: Rubric, scores: dict[str, int]) -> dict[str, float]:
    """Each domain's score: the mean of its scored criteria, rounded to one decimal."""
    out = {}
    for d in rubric.domains:
        values = [scores[c.code] for c in d.criteria if c.code in scores]
        if values:
            out[d.code] = round(sum(values) / len(values) + 1e-9, 1)
    return out


def criterion_scores_save(
    *, assessment: Assessment, actor: User, scores: dict[str, tuple[int | None, str]]
) -> dict[str, float]:
    """Save the assessor's 0–5 scores and comments; returns the derived domain scores."""
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "score")
        _require_assessor(actor, a, doing="score criteria")
        rubric = rubric_for(a)
        errors = []
        for code, (score, comment) in scores.items():
            if rubric.criterion(code) is None:
                errors.append(ErrorItem(code, "unknown criterion"))
            elif score is not None and (not isinstance(score, int) or not 0 <= score <= 5):
                errors.append(ErrorItem(code, "a score is a whole number from 0 to 5"))
            elif len(comment or "") > 5000:
                errors.append(ErrorItem(code, "keep the comment under 5,000 characters"))
        if errors:
            raise DomainError("Some scores are not valid.", errors)
        existing = {s.criterion: s for s in a.scores.all()}
        changed: dict[str, int | None] = {}
        now = timezone.now()
        for code, (score, comment) in scores.items():
            comment = (comment or "").strip()
            current = existing.get(code)
            if score is None:
                if current is not None:
                    current.delete()
                    changed[code] = None
                continue
            if current is None:
                CriterionScore.objects.create(
                    assessment=a, criterion=code, score=score, comment=comment, scored_by=actor, updated=now
                )
                changed[code] = score
            elif current.score != score or current.comment != comment:
                current.score, current.comment, current.scored_by, current.updated = (
                    score,
                    comment,
                    actor,
                    now,
                )
                current.save(update_fields=["score", "comment", "scored_by", "updated"])
                changed[code] = score
        all_scores = dict(a.scores.values_list("criterion", "score"))
        a.domain_scores = domain_scores_of(rubric, all_scores)
        _save(a, "domain_scores")
        if changed:
            _audit(a, actor, "scored", changed=changed, domain_scores=a.domain_scores)
    return a.domain_scores


@dataclass(frozen=True)
class DecisionPreview:
    """What the rubric's pass rule says about the current scores, before the assessor confirms."""

    domain_scores: dict[str, float]
    missing: list[str]
    passed: bool
    reasons: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def outcome(self) -> str:
        return "pass" if self.passed else "fail"


def decision_preview(*, assessment: Assessment) -> DecisionPreview:
    rubric = rubric_for(assessment)
    scores = dict(assessment.scores.values_list("criterion", "score"))
    domain_scores = domain_scores_of(rubric, scores)
    missing = [c.code for c in rubric.all_criteria() if c.code not in scores]
    passed, reasons = rubric.pass_rule.evaluate(domain_scores)
    return DecisionPreview(domain_scores, missing, passed and not missing, reasons)


def assessment_clarification_request(*, assessment: Assessment, actor: User, questions: str) -> Clarification:
    """Send the submission back with questions; the review SLA clock pauses until resubmission."""
    text = (questions or "").strip()
    if not text:
        raise DomainError(
            "Write the questions the organisation should answer.", [ErrorItem("questions", "required")]
        )
    if len(text) > 10000:
        raise DomainError("Keep the questions under 10,000 characters.", [ErrorItem("questions", "too long")])
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "request_clarification")
        _require_assessor(actor, a, doing="request a clarification")
        clar = Clarification.objects.create(assessment=a, questions=text, asked_by=actor)
        a.status = A.CLARIFICATION
        a.sla_paused_at = timezone.now()
        _save(a, "status", "sla_paused_at")
        _audit(a, actor, "clarification_requested", clarification=clar.pk)
        notify(
            assessment=a,
            actor=actor,
            event="clarification_requested",
            text=f"{actor.display_name} asked for clarification; the review clock is paused until you resubmit.",
            extra={"questions": text},
        )
    return clar


def clarification_answer(*, clarification: Clarification, actor: User, answer: str) -> Clarification:
    text = (answer or "").strip()
    if not text:
        raise DomainError("Write an answer.", [ErrorItem("answer", "required")])
    if len(text) > 10000:
        raise DomainError("Keep the answer under 10,000 characters.", [ErrorItem("answer", "too long")])
    with transaction.atomic():
        a = _locked(clarification.assessment)
        _require_member(actor, a, admin=False, doing="answer the assessor")
        _require_state(a, "answer")
        clar = Clarification.objects.select_for_update().get(pk=clarification.pk)
        if clar.answered_at is not None:
            raise DomainError("That question was already answered.", status=409, code="already_answered")
        clar.answer, clar.answered_by, clar.answered_at = text, actor, timezone.now()
        clar.save(update_fields=["answer", "answered_by", "answered_at"])
        _audit(a, actor, "clarification_answered", clarification=clar.pk)
        notify(
            assessment=a,
            actor=actor,
            event="clarification_answered",
            text=f"{actor.display_name} answered the assessor's questions.",
        )
    return clar


# --- 6. Outcome -------------------------------------------------------------------------------------


def gap_report_content(rubric: Rubric, scores: dict[str, CriterionScore]) -> list[dict[str, Any]]:
    """Every criterion not met (score below its domain's pass threshold) and what would meet it."""
    rows = []
    for d in rubric.domains:
        threshold = rubric.pass_rule.threshold_for(d.code)
        target = min(5, max(1, math.ceil(threshold)))
        for c in d.criteria:
            s = scores.get(c.code)
            if s is None or s.score >= threshold:
                continue
            level = next((lv.descriptor for lv in c.levels if lv.score == target), "")
            rows.append(
                {
                    "criterion": c.code,
                    "title": c.title,
                    "domain": d.code,
                    "domain_name": d.name,
                    "score": s.score,
                    "threshold": threshold,
                    "comment": s.comment,
                    "requirement": c.requirement,
                    "target_level": target,
                    "target_descriptor": level,
                    "evidence_needed": [EVIDENCE_TYPE_LABELS.get(t, t) for t in c.evidence],
                    "guidance": c.guidance,
                }
            )
    return rows


def _issue_trust_mark(assessment: Assessment, actor: User) -> bool:
    try:
        from trustmarks.services import trust_mark_issue  # built by the trust-marks feature
    except ImportError:
        return False
    trust_mark_issue(assessment=assessment, actor=actor)
    return True


def assessment_decide(
    *, assessment: Assessment, actor: User, outcome: str, override_reason: str = ""
) -> Assessment:
    """Record the decision. The rubric's pass rule computes it; confirming the other outcome is an
    override that needs a written reason and is flagged. Pass issues the trust mark (same
    transaction); fail writes the confidential gap report and opens a 90-day reassessment window."""
    if outcome not in OUTCOMES:
        raise DomainError("Choose pass or fail.", [ErrorItem("outcome", "expected pass or fail")])
    reason = (override_reason or "").strip()
    with transaction.atomic():
        a = _locked(assessment)
        _require_state(a, "decide")
        _require_assessor(actor, a, doing="decide")
        preview = decision_preview(assessment=a)
        if not preview.complete:
            raise DomainError(
                f"Score every criterion before deciding: {len(preview.missing)} still unscored ({', '.join(preview.missing[:6])}{'…' if len(preview.missing) > 6 else ''}).",
                [ErrorItem("scores", f"{code} has no score") for code in preview.missing],
                status=409,
                code="incomplete",
            )
        overridden = outcome != preview.outcome
        minimum = policy().override_reason_min_length
        if overridden and len(reason) < minimum:
            raise DomainError(
                f"The rubric's pass rule gives “{preview.outcome}”. Deciding “{outcome}” is an override: write the reason (at least {minimum} characters).",
                [ErrorItem("override_reason", "required for an override")],
            )
        now = timezone.now()
        a.domain_scores = preview.domain_scores
        a.computed_passed = preview.passed
        a.decision_reasons = preview.reasons
        a.decision_overridden = overridden
        a.override_reason = reason if overridden else ""
        a.decided_by, a.decided_at = actor, now
        a.status = A.PASSED if outcome == "pass" else A.FAILED
        fields = [
            "domain_scores",
            "computed_passed",
            "decision_reasons",
            "decision_overridden",
            "override_reason",
            "decided_by",
            "decided_at",
            "status",
        ]
        if outcome == "fail":
            a.reassessment_deadline = now.date() + timedelta(days=policy().reassessment_window_days)
            fields.append("reassessment_deadline")
        _save(a, *fields)
        mark_issued = False
        if outcome == "pass":
            mark_issued = _issue_trust_mark(a, actor)
        else:
            scores = {s.criterion: s for s in a.scores.all()}
            GapReport.objects.update_or_create(
                assessment=a, defaults={"content": gap_report_content(rubric_for(a), scores), "created": now}
            )
        _audit(
            a,
            actor,
            "decided",
            outcome=outcome,
            computed=preview.outcome,
            overridden=overridden,
            override_reason=a.override_reason or None,
            domain_scores=a.domain_scores,
            reasons=preview.reasons,
            trust_mark_issued=mark_issued,
        )
        if outcome == "pass":
            text = (
                "Passed: the Production Safe trust mark is issued."
                if mark_issued
                else "Passed: the trust mark will be issued."
            )
            notify(assessment=a, actor=actor, event="passed", text=text)
        else:
            notify(
                assessment=a,
                actor=actor,
                event="failed",
                text=f"Not passed. The confidential gap report is ready; one free reassessment can be opened within {policy().reassessment_window_days} days.",
            )
    return a


def assessment_withdraw(*, assessment: Assessment, actor: User, reason: str = "") -> Assessment:
    with transaction.atomic():
        a = _locked(assessment)
        _require_member(actor, a, admin=True, doing="withdraw the assessment")
        _require_state(a, "withdraw")
        a.status = A.WITHDRAWN
        a.sla_paused_at = None
        _save(a, "status", "sla_paused_at")
        _audit(a, actor, "withdrawn", reason=(reason or "").strip()[:1000] or None)
        notify(
            assessment=a,
            actor=actor,
            event="withdrawn",
            text=f"{actor.display_name} withdrew the assessment.",
        )
    return a


def assessment_reassessment_open(*, assessment: Assessment, actor: User) -> Assessment:
    """Open the one free reassessment of a failed assessment, within 90 days of the decision.

    The new assessment starts at "mapping & evidence" with the agreed scope, the checklist, the
    assessor (when still free of conflicts) and the evidence attached last time.
    """
    with transaction.atomic():
        old = _locked(assessment)
        _require_member(actor, old, admin=True, doing="open the reassessment")
        _require_state(old, "open_reassessment")
        existing = Assessment.objects.filter(reassessment_of=old).first()
        if existing is not None:
            raise DomainError(
                f"The free reassessment of {old.reference} was already opened ({existing.reference}).",
                status=409,
                code="already_reassessed",
            )
        deadline = old.reassessment_deadline
        if deadline is None or sla.today() > deadline:
            when = f" on {deadline:%d %B %Y}" if deadline else ""
            raise DomainError(
                f"The free reassessment window of {old.reference} closed{when} ({policy().reassessment_window_days} days after the decision). Apply for a new assessment instead.",
                status=409,
                code="reassessment_window_closed",
            )
        open_one = Assessment.objects.filter(
            organisation_id=old.organisation_id, status__in=A.OPEN_STATES
        ).first()
        if open_one is not None:
            raise DomainError(
                f"{old.organisation.name} already has an open assessment ({open_one.reference}).",
                status=409,
                code="already_open",
            )
        now = timezone.now()
        keep = (
            old.assessor
            if old.assessor
            and _is_assessor(old.assessor)
            and not is_conflicted(old.assessor, old.organisation_id)
            else None
        )
        track = policy().track(old.expedited)
        new = Assessment.objects.create(
            organisation=old.organisation,
            rubric_version=rubric_version_current() or old.rubric_version,
            status=A.PREPARING if keep else A.APPLIED,
            systems_description=old.systems_description,
            size_tier=old.size_tier,
            expedited=old.expedited,
            applied_by=actor,
            applied_at=now,
            acknowledge_due=sla.due_after(track.acknowledge_days),
            acknowledged_at=now if keep else None,
            assessor=keep,
            scope_summary=old.scope_summary,
            timeline=old.timeline,
            target_date=sla.due_after(track.target_days),
            checklist=old.checklist,
            scoped_at=now if keep else None,
            reassessment_of=old,
            created=now,
            updated=now,
        )
        new.scope_workflows.set(old.scope_workflows.all())
        copies = [
            EvidenceItem(
                assessment=new,
                criterion=i.criterion,
                kind=i.kind,
                title=i.title,
                note=i.note,
                url=i.url,
                storage_name=i.storage_name,
                original_name=i.original_name,
                content_type=i.content_type,
                size=i.size,
                sha256=i.sha256,
                ref_type=i.ref_type,
                ref_id=i.ref_id,
                ref_label=i.ref_label,
                added_by=i.added_by,
                created=i.created,
            )
            for i in old.evidence.filter(removed_at__isnull=True)
        ]
        EvidenceItem.objects.bulk_create(copies)
        _audit(new, actor, "reassessment_opened", reassessment_of=old.reference, evidence_copied=len(copies))
        notify(
            assessment=new,
            actor=actor,
            event="reassessment_opened",
            text=f"{actor.display_name} opened the free reassessment of {old.reference}; the scope and {len(copies)} evidence item(s) were carried over.",
        )
    return new
