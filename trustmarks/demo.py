"""Demo trust marks: TM-00142 active for Acme AI, TM-00143 suspended (ada has asked to reinstate
it; the request waits for a second assessor), TM-00144 revoked (asked by ada, approved by the lead
assessor lee@workflowos.example), TM-00145 expired (in a fresh database; numbers come from the
sequence, which starts at 142).

Idempotent: an organisation that already holds a mark is left alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from accounts.demo import seed_lead_assessor
from accounts.models import Organisation, User
from assessments.models import Assessment
from psf.selectors import rubric_version_current

from . import tlog
from .models import TrustMark, TrustMarkEvent
from .services import (
    trust_mark_request_reinstate,
    trust_mark_revoke,
    trust_mark_suspend,
    trust_marks_expire,
)

# slug, name, size tier, days since issue, what happens next, domain scores PSF-1..8
DEMO_MARKS = [
    ("acme-ai", "Acme AI", "mid_market", 60, "", (3.4, 3.6, 3.2, 3.0, 3.8, 3.5, 3.1, 2.6)),
    ("initech", "Initech", "enterprise", 150, "suspend", (3.2, 3.0, 3.4, 3.1, 3.0, 3.3, 3.5, 2.4)),
    (
        "umbrella-health",
        "Umbrella Health",
        "enterprise",
        200,
        "revoke",
        (3.0, 3.1, 3.6, 3.2, 3.4, 3.0, 3.2, 2.2),
    ),
    ("hooli", "Hooli", "enterprise", 400, "", (3.8, 3.5, 3.3, 3.6, 3.2, 3.4, 3.0, 3.1)),
]
CHANGED_DAYS_AGO = {"suspend": 12, "revoke": 30}
REASONS = {
    "suspend": "Surveillance review: the human-review queue for refunds was switched off in production "
    "(PSF-6). Suspended until the organisation shows it running again.",
    "revoke": "The organisation withdrew the assessed AI triage service and did not answer the "
    "surveillance review within 30 days.",
    "reinstate": "Initech sent screenshots and queue metrics showing the refund review queue running "
    "again since Monday.",
}


def _passed_assessment(
    org: Organisation, *, days_ago: int, scores: dict[str, float], assessor: User
) -> Assessment:
    existing = Assessment.objects.filter(
        organisation=org, status=Assessment.PASSED, trust_mark__isnull=True
    ).first()
    if existing is not None:
        return existing
    rubric_version = rubric_version_current()
    assert rubric_version is not None, "load the rubric first (manage.py load_rubric)"
    decided = timezone.now() - timedelta(days=days_ago)
    return Assessment.objects.create(
        organisation=org,
        rubric_version=rubric_version,
        status=Assessment.PASSED,
        systems_description=f"{org.name}: customer-facing AI assistants and document triage (demo).",
        size_tier=org.size_tier,
        applied_by=None,
        applied_at=decided - timedelta(days=21),
        acknowledge_due=(decided - timedelta(days=19)).date(),
        acknowledged_at=decided - timedelta(days=20),
        assessor=assessor,
        submitted_at=decided - timedelta(days=6),
        review_due=(decided - timedelta(days=1)).date(),
        domain_scores=scores,
        computed_passed=True,
        decided_by=assessor,
        decided_at=decided,
        created=decided - timedelta(days=21),
        updated=decided,
    )


def _backdate_events(mark: TrustMark, *, issued_on: date, changed_days_ago: int = 0) -> None:
    """Give the demo history plausible dates (the audit log keeps the real times)."""
    now = timezone.now()
    issued_at = datetime.combine(issued_on, time(9, 30), tzinfo=UTC)
    mark.events.filter(action=TrustMarkEvent.ISSUED).update(created=issued_at)
    if changed_days_ago:
        when = now - timedelta(days=changed_days_ago)
        mark.events.exclude(action=TrustMarkEvent.ISSUED).update(created=when)
        TrustMark.objects.filter(pk=mark.pk).update(status_changed_at=when)
        mark.requests.filter(state="approved").update(created=when - timedelta(hours=20), decided_at=when)


def _backdate(mark: TrustMark, *, issued_on: date) -> bool:
    """Move a freshly issued demo mark's validity into the past and re-sign its credential."""
    from .services import REVIEW_LEAD_DAYS, _forget_answer, _sign_credential, add_one_year

    if mark.issued == issued_on or mark.status != TrustMark.ACTIVE:
        return False
    mark.issued = mark.last_review = issued_on
    mark.expires = add_one_year(issued_on)
    mark.next_review = mark.expires - timedelta(days=REVIEW_LEAD_DAYS)
    mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
    mark.save(
        update_fields=["issued", "last_review", "expires", "next_review", "credential_jwt", "credential_kid"]
    )
    _backdate_events(mark, issued_on=issued_on)
    _forget_answer(mark)
    return True


def seed(log: list[str]) -> None:
    from .services import trust_mark_issue

    assessor = User.objects.filter(is_assessor=True, is_lead_assessor=False).order_by("pk").first()
    if assessor is None or rubric_version_current() is None:
        return
    lead = seed_lead_assessor(log)
    # A demo database made before the transparency log existed gets its history logged once.
    count = tlog.backfill(out=log)
    if count:
        log.append(f"transparency log: logged {count} earlier event(s)")
    today = timezone.localdate()
    rewritten = False  # did this run back-date a history the log already holds?
    for slug, name, tier, days_ago, then, values in DEMO_MARKS:
        org, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "size_tier": tier})
        existing = TrustMark.objects.filter(organisation=org).first()
        if existing is not None:
            # Acme AI's mark was issued today by the assessment demo's pass decision; the demo
            # story has it issued `days_ago` days ago, like its (back-dated) decision.
            rewritten |= _backdate(existing, issued_on=today - timedelta(days=days_ago))
            continue
        scores = {f"PSF-{n}": value for n, value in enumerate(values, start=1)}
        assessment = _passed_assessment(org, days_ago=days_ago, scores=scores, assessor=assessor)
        mark = trust_mark_issue(
            assessment=assessment, actor=assessor, issued_on=today - timedelta(days=days_ago)
        )
        if then == "suspend":
            mark = trust_mark_suspend(mark=mark, actor=assessor, reason=REASONS[then])
            trust_mark_request_reinstate(mark=mark, actor=assessor, reason=REASONS["reinstate"])
        elif then == "revoke":
            mark = trust_mark_revoke(mark=mark, actor=assessor, reason=REASONS[then], approver=lead)
        _backdate_events(mark, issued_on=mark.issued, changed_days_ago=CHANGED_DAYS_AGO.get(then, 0))
        rewritten = True
        log.append(f"trust mark {mark.mark_id} ({name})")
    trust_marks_expire(today=today)
    # The expiry task records an expiry when it runs; in the demo it "ran" the day after expiry.
    for event in TrustMarkEvent.objects.filter(
        action=TrustMarkEvent.EXPIRED, trust_mark__organisation__slug__in=[row[0] for row in DEMO_MARKS]
    ).select_related("trust_mark"):
        ran = datetime.combine(event.trust_mark.expires + timedelta(days=1), time(0, 5), tzinfo=UTC)
        if event.created > ran:
            TrustMarkEvent.objects.filter(pk=event.pk).update(created=ran)
            rewritten = True
    # A demo seeded before Open Badges 3.0 conformance: bring its credentials up to date.
    from .resign import credentials_resign

    if resigned := credentials_resign():
        log.append(f"re-signed {resigned} trust-mark credentials")
    if rewritten:
        # The demo's histories were back-dated after they were logged: log them afresh, so the
        # log tells the (back-dated) story the record pages show.
        tlog.rebuild_for_demo(out=log)
