"""Trust-mark writes: issue on a pass; suspend, reinstate, revoke and renew under the lifecycle
rules (no conflict of interest; the mark's assessor or a lead assessor; revoke and reinstate need a
second assessor's approval; renew needs a surveillance review), each with a written reason; expire
automatically; publish the signed status lists.

Every change locks the mark (and both status lists, so two changes never publish lists that miss
each other's flip), appends an event to the public ``trustmarks`` audit chain and forgets the
cached verification answer once the transaction commits.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.access import conflict_of_interest, four_eyes_refusal, is_assessor, lifecycle_refusal
from assessments.models import Assessment
from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem
from lib.jws import split_kid, unverified_header
from psf.selectors import rubric_of
from trustmarks import statuslist, tlog, verify_cache
from trustmarks.credentials import StatusRef, build_credential, sign_credential

from .models import (
    FIRST_NUMBER,
    MAX_NUMBER,
    LifecycleRequest,
    StatusListCredential,
    SurveillanceReview,
    TrustMark,
    TrustMarkEvent,
    TrustMarkSequence,
)
from .signing import issuer_id, public_url, signing_ring, status_list_url

REVIEW_LEAD_DAYS = 60  # the surveillance review falls due this long before expiry
MAX_REASON = 2000
STATUS_LIST_CLOCK_SKEW = timedelta(minutes=5)
SEQUENCE = "trust_mark"


# --- helpers ------------------------------------------------------------------------------------


def add_one_year(day: date) -> date:
    """The same day next year (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in UTC: a mark is valid through its expiry date."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _require_assessor(actor: Any) -> None:
    if not is_assessor(actor):
        raise DomainError("Only a platform assessor can do this.", status=403, code="permission_denied")


def _clean_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(
            "Write the reason for this change.", [ErrorItem("reason", "This field is required.")]
        )
    if len(text) > MAX_REASON:
        raise DomainError(
            f"Keep the reason under {MAX_REASON} characters.", [ErrorItem("reason", "Too long.")]
        )
    return text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _next_number() -> int:
    """The next mark number, taken under a row lock so concurrent issuances never share one."""
    seq, _ = TrustMarkSequence.objects.select_for_update().get_or_create(
        name=SEQUENCE, defaults={"next_value": FIRST_NUMBER}
    )
    # Never below a number already used (e.g. the sequence row was lost in a partial restore).
    highest = TrustMark.objects.aggregate(n=Max("number"))["n"] or 0
    number = max(seq.next_value, highest + 1)
    if number > MAX_NUMBER:
        raise DomainError(
            "Trust-mark numbers are exhausted (TM-99999).", status=409, code="numbers_exhausted"
        )
    TrustMarkSequence.objects.filter(pk=seq.pk).update(next_value=number + 1)
    return number


# --- other holders of entries in the message status list -----------------------------------------
# Personal credentials (the ``credentials`` app) take entries in the same two-bit message list as
# marks. Each such app registers a source of ``(index, status)`` pairs for all its entries; a
# mark's revocation index (its message-list index) and their indexes share one index space.
StatusEntrySource = Callable[[], list[tuple[int, str]]]
_STATUS_SOURCES: dict[str, StatusEntrySource] = {}


def status_list_source_register(name: str, source: StatusEntrySource) -> None:
    """Add ``source`` (all ``(message-list index, status)`` pairs of another kind of credential)
    to the message list and to the indexes every allocation avoids."""
    _STATUS_SOURCES[name] = source


def message_indexes_used() -> set[int]:
    """Every message-list index taken, by marks or by a registered source."""
    used = set(TrustMark.objects.values_list("revocation_index", flat=True))
    for source in _STATUS_SOURCES.values():
        used.update(index for index, _ in source())
    return used


def status_lists_lock() -> None:
    """Lock the status lists (always before any credential row, so no deadlocks)."""
    for purpose in statuslist.PURPOSES:
        StatusListCredential.objects.get_or_create(purpose=purpose, defaults={"jwt": ""})
    list(StatusListCredential.objects.select_for_update().order_by("purpose"))


def _allocate_indexes() -> tuple[int, int]:
    used_revocation = message_indexes_used()
    used_suspension = set(TrustMark.objects.values_list("suspension_index", flat=True))
    return statuslist.allocate_index(used_revocation), statuslist.allocate_index(used_suspension)


def _scores(domain_scores: dict[str, Any], assessment: Assessment) -> dict[str, float]:
    rubric = rubric_of(assessment.rubric_version)
    missing = [d.code for d in rubric.domains if d.code not in (domain_scores or {})]
    if missing:
        raise DomainError(f"The assessment has no score for {', '.join(missing)}.", code="incomplete_scores")
    return {d.code: round(float(domain_scores[d.code]), 1) for d in rubric.domains}


def subject_id(organisation_id: int) -> str:
    """A stable identifier of the organisation that says nothing about it."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer_id()}/organisations/{organisation_id}"))


def _sign_credential(mark: TrustMark) -> tuple[str, str]:
    rv = mark.rubric_version
    slug = f"{rv.framework.lower()}-v{rv.version}-production-safe"
    credential = build_credential(
        mark_id=mark.mark_id,
        issuer_id=issuer_id(),
        issuer_name=settings.ISSUER_NAME,
        issuer_url=settings.PUBLIC_URL,
        subject_name=mark.company_name,
        subject_id=subject_id(mark.organisation_id),
        achievement_name=f"{rv.framework} v{rv.version} Production Safe",
        achievement_id=f"{issuer_id()}/achievements/{slug}",
        psf_version=f"v{rv.version}",
        domains=mark.domains,
        scores=mark.scores,
        valid_from=datetime.combine(mark.issued, time.min, tzinfo=UTC),
        valid_until=end_of_day(mark.expires),
        record_url=public_url(reverse("trustmarks:record", args=[mark.mark_id])),
        # One two-bit entry in the message list, at the mark's (random, unique) revocation index.
        status=StatusRef(status_list_url("message"), mark.revocation_index),
    )
    token = sign_credential(credential, signing_ring())
    return token, split_kid(str(unverified_header(token)["kid"]))[1]


def _record(mark: TrustMark, *, action: str, from_status: str, actor: Any, reason: str) -> TrustMarkEvent:
    """Append the change to the public log (reason hashed: it may name confidential findings)."""
    data = {
        "mark": mark.mark_id,
        "company": mark.company_name,
        "from_status": from_status,
        "status": mark.status,
        "issued": mark.issued.isoformat(),
        "expires": mark.expires.isoformat(),
        "credential_sha256": _sha256(mark.credential_jwt),
        "kid": mark.credential_kid,
        "reason_sha256": _sha256(reason) if reason else "",
    }
    event = audit_event_append(
        action=f"trust_mark.{action}",
        object_type="trust_mark",
        object_id=mark.mark_id,
        actor_email=getattr(actor, "email", "") or "",
        organisation_id=mark.organisation_id,
        data=data,
        chain="trustmarks",
    )
    tm_event = TrustMarkEvent.objects.create(
        trust_mark=mark,
        action=action,
        from_status=from_status,
        to_status=mark.status,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
        audit_sequence=event.sequence,
    )
    tlog.append_for_event(tm_event)  # the transparency log, in the same transaction
    return tm_event


def _forget_answer(mark: TrustMark) -> None:
    number = mark.number
    verify_cache.answer_forget(number)
    # A request may cache the old state while this transaction is still open: forget it again.
    transaction.on_commit(lambda: verify_cache.answer_forget(number))


# --- issuance -----------------------------------------------------------------------------------


@transaction.atomic
def trust_mark_issue(*, assessment: Assessment, actor: Any, issued_on: date | None = None) -> TrustMark:
    """Issue the trust mark of a passed assessment (the assessments app calls this on a pass).

    Number ``TM-NNNNN`` from the sequence, random status-list indexes, validity from ``issued_on``
    (default today) to the same day a year later, next surveillance review 60 days before expiry,
    and a signed Open Badges 3.0 credential. Idempotent: a second call returns the same mark.
    """
    _require_assessor(actor)
    existing = TrustMark.objects.filter(assessment=assessment).first()
    if existing is not None:
        return existing
    if assessment.status != Assessment.PASSED:
        raise DomainError("Only a passed assessment earns a trust mark.", status=409, code="not_passed")
    scores = _scores(assessment.domain_scores, assessment)
    issued = issued_on or timezone.localdate()
    expires = add_one_year(issued)
    number = _next_number()
    now = timezone.now()
    for attempt in range(5):
        revocation_index, suspension_index = _allocate_indexes()
        mark = TrustMark(
            number=number,
            organisation=assessment.organisation,
            assessment=assessment,
            rubric_version=assessment.rubric_version,
            company_name=assessment.organisation.name,
            domains=rubric_of(assessment.rubric_version).domains_label(),
            scores=scores,
            issued=issued,
            expires=expires,
            status=TrustMark.ACTIVE,
            status_changed_at=now,
            status_changed_by=actor,
            revocation_index=revocation_index,
            suspension_index=suspension_index,
            last_review=issued,
            next_review=expires - timedelta(days=REVIEW_LEAD_DAYS),
            created=now,
            updated=now,
        )
        mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
        try:
            with transaction.atomic():
                mark.save()
            break
        except IntegrityError:
            # Another issuance drew the same random index at the same moment; draw again.
            if attempt == 4:
                raise
    _record(
        mark,
        action=TrustMarkEvent.ISSUED,
        from_status="",
        actor=actor,
        reason=f"Issued on passing {assessment.reference}.",
    )
    _forget_answer(mark)
    return mark


# --- lifecycle ----------------------------------------------------------------------------------


def _lock(mark: TrustMark) -> TrustMark:
    """Lock both status lists, then the mark, always in this order (no deadlocks)."""
    status_lists_lock()
    return TrustMark.objects.select_for_update().select_related("rubric_version").get(pk=mark.pk)


def _change(mark: TrustMark, *, to: str, action: str, actor: Any, reason: str) -> TrustMark:
    before = mark.status
    now = timezone.now()
    mark.status = to
    mark.status_reason = reason
    mark.status_changed_at = now
    mark.status_changed_by = actor if getattr(actor, "pk", None) else None
    mark.updated = now
    mark.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by", "updated"])
    for purpose, (_, flagged) in _LIST_MARKS.items():
        if {before, to} & set(flagged):
            status_list_publish(purpose=purpose)
    _record(mark, action=action, from_status=before, actor=actor, reason=reason)
    _forget_answer(mark)
    return mark


def _refuse(mark: TrustMark, status: str, what: str) -> DomainError:
    return DomainError(f"{mark.mark_id} is {status}; {what}.", status=409, code="invalid_transition")


# --- the lifecycle rules ---------------------------------------------------------------------------
# Who may act: the one rule of accounts.access (a platform assessor without a conflict of interest,
# who assessed the mark or is a lead assessor). Revoke and reinstate take two assessors: one asks
# (a pending LifecycleRequest), a second approves, and only then does the status change. Renewal
# needs a completed surveillance review. Every refusal is a 403 naming the reason, and is logged.


def mark_assessor(mark: TrustMark) -> Any:
    """The assessor a mark is assigned to: the one who decided its assessment."""
    assessment = mark.assessment
    return assessment.decided_by or assessment.assessor


def lifecycle_refusal_for(actor: Any, mark: TrustMark, *, doing: str) -> str:
    """Why ``actor`` may not ``doing`` on ``mark`` (a sentence), or ``""`` (pages use it to decide
    what to offer; the services below enforce it)."""
    return lifecycle_refusal(
        actor, organisation=mark.organisation, assigned_assessor=mark_assessor(mark), doing=doing
    )


class LifecycleRefused(DomainError):
    """A lifecycle action refused by a rule (conflict, assignment, four eyes, review missing)."""


def _refused(message: str, code: str) -> LifecycleRefused:
    return LifecycleRefused(message, status=403, code=code)


def _require_lifecycle(actor: Any, mark: TrustMark, *, doing: str) -> None:
    refusal = lifecycle_refusal_for(actor, mark, doing=doing)
    if refusal:
        raise _refused(refusal, "lifecycle_refused")


def _audit(mark: TrustMark, actor: Any, action: str, **data: Any) -> None:
    """An internal audit event (the private chain): requests, decisions, reviews, refusals."""
    audit_event_append(
        action=f"trust_mark.{action}",
        object_type="trust_mark",
        object_id=mark.mark_id,
        actor_email=getattr(actor, "email", "") or "",
        organisation_id=mark.organisation_id,
        data={"mark": mark.mark_id, **data},
    )


def trust_mark_refusal_record(
    *, mark: TrustMark, actor: Any, attempted: str, code: str, message: str
) -> None:
    """Log a refused lifecycle attempt (the services log their own; pages that refuse before
    calling a service log through this)."""
    _audit(mark, actor, "refused", attempted=attempted, code=code, message=message)


F = TypeVar("F", bound=Callable[..., Any])


def _logs_refusals(action: str) -> Callable[[F], F]:
    """Log every refused attempt (403) after its transaction rolled back, then re-raise."""

    def decorator(service: F) -> F:
        @functools.wraps(service)
        def wrapper(**kwargs: Any) -> Any:
            try:
                return service(**kwargs)
            except DomainError as exc:
                if exc.status == 403:
                    request = kwargs.get("request")
                    mark = kwargs.get("mark") or (request.trust_mark if request is not None else None)
                    if mark is not None:
                        trust_mark_refusal_record(
                            mark=mark,
                            actor=kwargs.get("actor"),
                            attempted=kwargs.get("action", action) if action == "request" else action,
                            code=exc.code,
                            message=exc.message,
                        )
                raise

        return wrapper  # type: ignore[return-value]

    return decorator


def _check_transition(mark: TrustMark, action: str) -> None:
    """409 unless ``action`` can apply to the mark's current status."""
    status = mark.effective_status()
    if action == TrustMarkEvent.SUSPENDED and status != TrustMark.ACTIVE:
        raise _refuse(mark, status, "only an active mark can be suspended")
    if action in (TrustMarkEvent.REINSTATED, LifecycleRequest.REINSTATE) and status != TrustMark.SUSPENDED:
        raise _refuse(mark, status, "only a suspended mark can be reinstated")
    if action in (TrustMarkEvent.REVOKED, LifecycleRequest.REVOKE) and mark.status == TrustMark.REVOKED:
        raise _refuse(mark, TrustMark.REVOKED, "it cannot be revoked twice")
    if action == TrustMarkEvent.RENEWED and (
        status not in (TrustMark.ACTIVE, TrustMark.EXPIRED) or mark.status == TrustMark.REVOKED
    ):
        raise _refuse(mark, status, "reinstate a suspended mark first; a revoked mark cannot be renewed")


# --- suspend (one assessor) -----------------------------------------------------------------------


@_logs_refusals("suspend")
@transaction.atomic
def trust_mark_suspend(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Suspend an active mark (it stops verifying; the suspension bit is set).

    One assessor is enough: a suspension protects relying parties at once and is undone only by
    a four-eyes reinstatement."""
    _require_lifecycle(actor, mark, doing="suspend it")
    reason = _clean_reason(reason)
    mark = _lock(mark)
    _check_transition(mark, TrustMarkEvent.SUSPENDED)
    return _change(mark, to=TrustMark.SUSPENDED, action=TrustMarkEvent.SUSPENDED, actor=actor, reason=reason)


# --- revoke and reinstate (four eyes) -------------------------------------------------------------

REQUEST_DOING = {
    LifecycleRequest.REVOKE: "ask to revoke it",
    LifecycleRequest.REINSTATE: "ask to reinstate it",
}
APPLY = {
    LifecycleRequest.REVOKE: (TrustMark.REVOKED, TrustMarkEvent.REVOKED),
    LifecycleRequest.REINSTATE: (TrustMark.ACTIVE, TrustMarkEvent.REINSTATED),
}


@_logs_refusals("request")
@transaction.atomic
def trust_mark_change_request(*, mark: TrustMark, actor: Any, action: str, reason: str) -> LifecycleRequest:
    """Ask for a revocation or a reinstatement; nothing public changes until a second assessor
    approves it (``trust_mark_request_approve``). One pending request per mark."""
    if action not in REQUEST_DOING:
        raise DomainError(f"Unknown change {action!r}.", status=404, code="not_found")
    _require_lifecycle(actor, mark, doing=REQUEST_DOING[action])
    reason = _clean_reason(reason)
    mark = _lock(mark)
    _check_transition(mark, action)
    pending = mark.requests.filter(state=LifecycleRequest.PENDING).select_related("requested_by").first()
    if pending is not None:
        who = pending.requested_by.display_name if pending.requested_by else "someone"
        raise DomainError(
            f"{mark.mark_id} already has a pending request ({pending.get_action_display().lower()}, "
            f"asked by {who}): approve, reject or withdraw it first.",
            status=409,
            code="request_pending",
        )
    request = LifecycleRequest.objects.create(
        trust_mark=mark, action=action, reason=reason, requested_by=actor, created=timezone.now()
    )
    _audit(mark, actor, "change_requested", request=request.pk, change=action, reason_sha256=_sha256(reason))
    return request


def trust_mark_request_revoke(*, mark: TrustMark, actor: Any, reason: str) -> LifecycleRequest:
    """Ask for a revocation (a second assessor must approve it)."""
    return trust_mark_change_request(mark=mark, actor=actor, action=LifecycleRequest.REVOKE, reason=reason)


def trust_mark_request_reinstate(*, mark: TrustMark, actor: Any, reason: str) -> LifecycleRequest:
    """Ask for a reinstatement (a second assessor must approve it)."""
    return trust_mark_change_request(mark=mark, actor=actor, action=LifecycleRequest.REINSTATE, reason=reason)


def _lock_request(request: LifecycleRequest) -> tuple[TrustMark, LifecycleRequest]:
    mark = _lock(request.trust_mark)
    locked = (
        LifecycleRequest.objects.select_for_update(of=("self",))
        .select_related("requested_by")
        .get(pk=request.pk)
    )
    if locked.state != LifecycleRequest.PENDING:
        raise DomainError(
            f"This request was already {locked.get_state_display().lower()}.",
            status=409,
            code="request_decided",
        )
    return mark, locked


def approval_refusal_for(actor: Any, request: LifecycleRequest) -> str:
    """Why ``actor`` may not approve ``request`` (a sentence), or ``""``: not the requester, and
    the same lifecycle rule as the requester (no conflict; the mark's assessor or a lead)."""
    return four_eyes_refusal(actor, requested_by=request.requested_by) or lifecycle_refusal_for(
        actor, request.trust_mark, doing=f"approve its {request.get_action_display().lower()}"
    )


@_logs_refusals("approve")
@transaction.atomic
def trust_mark_request_approve(*, request: LifecycleRequest, actor: Any, note: str = "") -> TrustMark:
    """A second assessor approves a pending revocation or reinstatement: the status changes now
    (status lists, public log, cached answers), recorded with the approver as its actor."""
    refusal = approval_refusal_for(actor, request)
    if refusal:
        raise _refused(
            refusal,
            "four_eyes" if request.requested_by_id == getattr(actor, "pk", None) else "lifecycle_refused",
        )
    mark, request = _lock_request(request)
    _check_transition(mark, request.action)
    to, action = APPLY[request.action]
    mark = _change(mark, to=to, action=action, actor=actor, reason=request.reason)
    request.state = LifecycleRequest.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()[:MAX_REASON]
    request.event = mark.events.order_by("-created", "-id").first()
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "event"])
    _audit(
        mark,
        actor,
        "change_approved",
        request=request.pk,
        change=request.action,
        requested_by=request.requested_by.email if request.requested_by else "",
    )
    return mark


@_logs_refusals("reject")
@transaction.atomic
def trust_mark_request_reject(*, request: LifecycleRequest, actor: Any, note: str = "") -> LifecycleRequest:
    """Reject a pending request (a second assessor, under the approval rule) or withdraw it (the
    assessor who asked). Nothing public changes."""
    withdrawing = request.requested_by_id is not None and request.requested_by_id == getattr(
        actor, "pk", None
    )
    if withdrawing:
        if not is_assessor(actor):
            raise _refused("Only a platform assessor can do this.", "lifecycle_refused")
    else:
        refusal = lifecycle_refusal_for(
            actor, request.trust_mark, doing=f"reject its {request.get_action_display().lower()}"
        )
        if refusal:
            raise _refused(refusal, "lifecycle_refused")
    mark, request = _lock_request(request)
    request.state = LifecycleRequest.WITHDRAWN if withdrawing else LifecycleRequest.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()[:MAX_REASON]
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _audit(
        mark,
        actor,
        "change_withdrawn" if withdrawing else "change_rejected",
        request=request.pk,
        change=request.action,
        note_sha256=_sha256(request.decision_note) if request.decision_note else "",
    )
    return request


def trust_mark_revoke(*, mark: TrustMark, actor: Any, reason: str, approver: Any) -> TrustMark:
    """Revoke with four eyes in one call (demo seeding, tests): ``actor`` asks, ``approver`` approves."""
    request = trust_mark_request_revoke(mark=mark, actor=actor, reason=reason)
    return trust_mark_request_approve(request=request, actor=approver)


def trust_mark_reinstate(*, mark: TrustMark, actor: Any, reason: str, approver: Any) -> TrustMark:
    """Reinstate with four eyes in one call (demo seeding, tests): ``actor`` asks, ``approver`` approves."""
    request = trust_mark_request_reinstate(mark=mark, actor=actor, reason=reason)
    return trust_mark_request_approve(request=request, actor=approver)


# --- surveillance review and renewal --------------------------------------------------------------


def _review_scores(mark: TrustMark, scores: dict[str, Any]) -> dict[str, float]:
    codes = list(mark.scores)
    errors = []
    clean: dict[str, float] = {}
    for code in codes:
        raw: Any = (scores or {}).get(code)
        try:
            value = round(float(raw), 1)
        except (TypeError, ValueError):
            errors.append(ErrorItem(f"score_{code}", "Enter a score from 0 to 5."))
            continue
        if not 0 <= value <= 5:
            errors.append(ErrorItem(f"score_{code}", "Enter a score from 0 to 5."))
            continue
        clean[code] = value
    if errors:
        raise DomainError("Confirm or correct every domain score (0 to 5).", errors)
    return clean


@_logs_refusals("review")
@transaction.atomic
def trust_mark_review(
    *, mark: TrustMark, actor: Any, evidence_valid: bool, scores: dict[str, Any], notes: str
) -> SurveillanceReview:
    """Record the annual surveillance review: whether the evidence is still valid, and each domain
    score confirmed or changed. Same rule as every lifecycle action; a renewal needs one."""
    _require_lifecycle(actor, mark, doing="review it")
    notes = (notes or "").strip()
    if not notes:
        raise DomainError("Write the review notes.", [ErrorItem("notes", "This field is required.")])
    if len(notes) > 4000:
        raise DomainError("Keep the notes under 4000 characters.", [ErrorItem("notes", "Too long.")])
    mark = _lock(mark)
    if mark.status == TrustMark.REVOKED:
        raise _refuse(mark, TrustMark.REVOKED, "a revoked mark has no surveillance review")
    clean = _review_scores(mark, scores)
    changed = [code for code, value in clean.items() if float(mark.scores.get(code, -1)) != value]
    review = SurveillanceReview.objects.create(
        trust_mark=mark,
        reviewer=actor,
        created=timezone.now(),
        evidence_valid=bool(evidence_valid),
        scores=clean,
        changed=changed,
        notes=notes,
    )
    _audit(
        mark,
        actor,
        "surveillance_reviewed",
        review=review.pk,
        evidence_valid=review.evidence_valid,
        changed=changed,
        scores=clean,
        notes_sha256=_sha256(notes),
    )
    return review


def renewal_review(mark: TrustMark) -> SurveillanceReview | None:
    """The completed surveillance review a renewal would use: the latest one, if no renewal used it."""
    latest = mark.reviews.select_related("reviewer").order_by("-created", "-id").first()
    return latest if latest is not None and latest.renewed_at is None else None


def renewal_refusal(mark: TrustMark) -> str:
    """Why the mark cannot be renewed yet for want of a passing surveillance review, or ``""``."""
    review = renewal_review(mark)
    if review is None:
        return f"Renewing {mark.mark_id} needs a completed surveillance review: complete it first."
    day = timezone.localtime(review.created).date().isoformat()
    if not review.evidence_valid:
        return f"The surveillance review of {day} found the evidence no longer valid: {mark.mark_id} cannot be renewed."
    conflict = conflict_of_interest(review.reviewer, mark.organisation) if review.reviewer else "no reviewer"
    if conflict:
        return f"The surveillance review of {day} was made by an assessor with a conflict of interest: review it again."
    passed, reasons = rubric_of(mark.rubric_version).pass_rule.evaluate(review.scores)
    if not passed:
        return (
            f"The surveillance review of {day} does not meet the pass rule ({'; '.join(reasons)}): "
            f"{mark.mark_id} cannot be renewed."
        )
    return ""


@_logs_refusals("renew")
@transaction.atomic
def trust_mark_renew(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Start a new validity period after a completed, passing surveillance review.

    The new period runs from today to one year after the current expiry (or after today, when
    the mark has already expired), so renewing early loses no time. The review's scores become
    the mark's, and a new credential is signed for it; the mark keeps its number, its status-list
    indexes and its badge URLs.
    """
    _require_lifecycle(actor, mark, doing="renew it")
    reason = _clean_reason(reason)
    mark = _lock(mark)
    _check_transition(mark, TrustMarkEvent.RENEWED)
    refusal = renewal_refusal(mark)
    if refusal:
        raise _refused(refusal, "review_required")
    review = renewal_review(mark)
    assert review is not None
    today = timezone.localdate()
    mark.issued = today
    mark.expires = add_one_year(max(mark.expires, today))
    mark.last_review = timezone.localtime(review.created).date()
    mark.next_review = mark.expires - timedelta(days=REVIEW_LEAD_DAYS)
    mark.scores = dict(review.scores)
    mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
    mark.save(
        update_fields=[
            "issued",
            "expires",
            "last_review",
            "next_review",
            "scores",
            "credential_jwt",
            "credential_kid",
        ]
    )
    review.renewed_at = timezone.now()
    review.save(update_fields=["renewed_at"])
    return _change(mark, to=TrustMark.ACTIVE, action=TrustMarkEvent.RENEWED, actor=actor, reason=reason)


def trust_marks_expire(*, today: date | None = None) -> int:
    """Mark every active or suspended mark past its expiry date as expired; returns how many.

    Reads already treat such marks as expired (``TrustMark.effective_status``); this records it.
    """
    today = today or timezone.localdate()
    due = TrustMark.objects.filter(
        status__in=[TrustMark.ACTIVE, TrustMark.SUSPENDED], expires__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            mark = _lock(TrustMark(pk=pk))
            if mark.status not in (TrustMark.ACTIVE, TrustMark.SUSPENDED) or mark.expires >= today:
                continue
            _change(
                mark,
                to=TrustMark.EXPIRED,
                action=TrustMarkEvent.EXPIRED,
                actor=None,
                reason=f"Validity ended on {mark.expires.isoformat()}.",
            )
            count += 1
    return count


# --- status lists -------------------------------------------------------------------------------


# Each status list: the index field it uses and the statuses it flags (see trustmarks.statuslist).
_LIST_MARKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "message": ("revocation_index", (TrustMark.SUSPENDED, TrustMark.REVOKED)),
    "revocation": ("revocation_index", (TrustMark.REVOKED,)),
    "suspension": ("suspension_index", (TrustMark.SUSPENDED,)),
}


def status_list_publish(*, purpose: str) -> str:
    """Rebuild the ``purpose`` Bitstring Status List from the marks' statuses, sign and store it."""
    if purpose not in statuslist.PURPOSES:
        raise DomainError(f"Unknown status list {purpose!r}.", status=404, code="not_found")
    field, flagged_statuses = _LIST_MARKS[purpose]
    size = statuslist.status_size(purpose)
    bits = statuslist.new_list(size=size)
    indexes = list(TrustMark.objects.filter(status__in=flagged_statuses).values_list(field, "status"))
    if purpose == "message":
        for source in _STATUS_SOURCES.values():
            indexes.extend((i, st) for i, st in source() if st in flagged_statuses)
    for index, status in indexes:
        statuslist.set_value(bits, index, statuslist.mark_status_value(purpose, status), size)
    now = timezone.now()
    credential = statuslist.build_status_list_credential(
        url=status_list_url(purpose),
        purpose=purpose,  # type: ignore[arg-type]
        encoded_list=statuslist.encode(bits),
        issuer_id=issuer_id(),
        # A verifier whose clock runs a little behind ours must not see a fresh list as "not yet valid".
        valid_from=now - STATUS_LIST_CLOCK_SKEW,
    )
    token = statuslist.sign_status_list_credential(credential, signing_ring(), issued_at=now)
    StatusListCredential.objects.update_or_create(
        purpose=purpose, defaults={"jwt": token, "flagged": len(indexes), "updated": now}
    )
    return token


def signing_key_rotate() -> tuple[str, list[str]]:
    """Retire the active signing key and start a new one; re-sign both status lists with it.

    Returns the new key id and the retired ones (still published, so older credentials verify).
    """
    ring = signing_ring()
    new_kid = ring.rotate()
    with transaction.atomic():
        for purpose in statuslist.PURPOSES:
            status_list_publish(purpose=purpose)
        audit_event_append(
            action="signing_key.rotated",
            object_type="signing_key",
            object_id=new_kid,
            data={"kid": new_kid, "published": [k.kid for k in ring.all_keys()]},
            chain="trustmarks",
        )
    return new_kid, [k.kid for k in ring.all_keys() if k.status == "retired"]
