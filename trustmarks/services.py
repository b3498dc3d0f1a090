"""Trust-mark writes: issue on a pass; suspend, reinstate, revoke and renew by an assessor with a
written reason; expire automatically; publish the signed status lists.

Every change locks the mark (and both status lists, so two changes never publish lists that miss
each other's flip), appends an event to the public ``trustmarks`` audit chain and forgets the
cached verification answer once the transaction commits.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.access import is_assessor
from assessments.models import Assessment
from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem
from lib.jws import unverified_header
from psf.selectors import rubric_of
from trustmarks import statuslist, tlog, verify_cache
from trustmarks.credentials import StatusRef, build_credential, sign_credential

from .models import (
    FIRST_NUMBER,
    MAX_NUMBER,
    StatusListCredential,
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


def _allocate_indexes() -> tuple[int, int]:
    used_revocation = set(TrustMark.objects.values_list("revocation_index", flat=True))
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
        revocation=StatusRef(status_list_url("revocation"), mark.revocation_index),
        suspension=StatusRef(status_list_url("suspension"), mark.suspension_index),
    )
    token = sign_credential(credential, signing_ring())
    return token, str(unverified_header(token)["kid"])


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
    for purpose in statuslist.PURPOSES:
        StatusListCredential.objects.get_or_create(purpose=purpose, defaults={"jwt": ""})
    list(StatusListCredential.objects.select_for_update().order_by("purpose"))
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
    for purpose, flagged in (("suspension", TrustMark.SUSPENDED), ("revocation", TrustMark.REVOKED)):
        if flagged in (before, to):
            status_list_publish(purpose=purpose)
    _record(mark, action=action, from_status=before, actor=actor, reason=reason)
    _forget_answer(mark)
    return mark


def _refuse(mark: TrustMark, status: str, what: str) -> DomainError:
    return DomainError(f"{mark.mark_id} is {status}; {what}.", status=409, code="invalid_transition")


@transaction.atomic
def trust_mark_suspend(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Suspend an active mark (it stops verifying; the suspension bit is set)."""
    _require_assessor(actor)
    reason = _clean_reason(reason)
    mark = _lock(mark)
    status = mark.effective_status()
    if status != TrustMark.ACTIVE:
        raise _refuse(mark, status, "only an active mark can be suspended")
    return _change(mark, to=TrustMark.SUSPENDED, action=TrustMarkEvent.SUSPENDED, actor=actor, reason=reason)


@transaction.atomic
def trust_mark_reinstate(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Lift a suspension before expiry (the suspension bit is cleared)."""
    _require_assessor(actor)
    reason = _clean_reason(reason)
    mark = _lock(mark)
    status = mark.effective_status()
    if status != TrustMark.SUSPENDED:
        raise _refuse(mark, status, "only a suspended mark can be reinstated")
    return _change(mark, to=TrustMark.ACTIVE, action=TrustMarkEvent.REINSTATED, actor=actor, reason=reason)


@transaction.atomic
def trust_mark_revoke(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Revoke a mark for good (the revocation bit is set; there is no way back)."""
    _require_assessor(actor)
    reason = _clean_reason(reason)
    mark = _lock(mark)
    if mark.status == TrustMark.REVOKED:
        raise _refuse(mark, TrustMark.REVOKED, "it cannot be revoked twice")
    return _change(mark, to=TrustMark.REVOKED, action=TrustMarkEvent.REVOKED, actor=actor, reason=reason)


@transaction.atomic
def trust_mark_renew(*, mark: TrustMark, actor: Any, reason: str) -> TrustMark:
    """Start a new validity period after a passed surveillance review.

    The new period runs from today to one year after the current expiry (or after today, when
    the mark has already expired), so renewing early loses no time. A new credential is signed
    for it; the mark keeps its number, its status-list indexes and its badge URLs.
    """
    _require_assessor(actor)
    reason = _clean_reason(reason)
    mark = _lock(mark)
    status = mark.effective_status()
    if status not in (TrustMark.ACTIVE, TrustMark.EXPIRED) or mark.status == TrustMark.REVOKED:
        raise _refuse(mark, status, "reinstate a suspended mark first; a revoked mark cannot be renewed")
    today = timezone.localdate()
    mark.issued = today
    mark.expires = add_one_year(max(mark.expires, today))
    mark.last_review = today
    mark.next_review = mark.expires - timedelta(days=REVIEW_LEAD_DAYS)
    mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
    mark.save(
        update_fields=["issued", "expires", "last_review", "next_review", "credential_jwt", "credential_kid"]
    )
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


def status_list_publish(*, purpose: str) -> str:
    """Rebuild the ``purpose`` Bitstring Status List from the marks' statuses, sign and store it."""
    if purpose not in statuslist.PURPOSES:
        raise DomainError(f"Unknown status list {purpose!r}.", status=404, code="not_found")
    flagged_status = TrustMark.REVOKED if purpose == "revocation" else TrustMark.SUSPENDED
    field = f"{purpose}_index"
    bits = statuslist.new_list()
    indexes = list(TrustMark.objects.filter(status=flagged_status).values_list(field, flat=True))
    for index in indexes:
        statuslist.set_bit(bits, index, True)
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
