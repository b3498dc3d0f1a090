"""Demo trust marks: TM-00142 active for Acme AI, TM-00143 suspended, TM-00144 revoked,
TM-00145 expired (in a fresh database; numbers come from the sequence, which starts at 142).

Idempotent: an organisation that already holds a mark is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Organisation, User
from assessments.models import Assessment
from psf.selectors import rubric_version_current

from . import tlog
from .models import TrustMark
from .services import trust_mark_revoke, trust_mark_suspend, trust_marks_expire

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
REASONS = {
    "suspend": "Surveillance review: the human-review queue for refunds was switched off in production "
    "(PSF-6). Suspended until the organisation shows it running again.",
    "revoke": "The organisation withdrew the assessed AI triage service and did not answer the "
    "surveillance review within 30 days.",
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


def _backdate(mark: TrustMark, *, issued_on: date) -> None:
    """Move a freshly issued demo mark's validity into the past and re-sign its credential."""
    from .services import REVIEW_LEAD_DAYS, _forget_answer, _sign_credential, add_one_year

    if mark.issued == issued_on or mark.status != TrustMark.ACTIVE:
        return
    mark.issued = mark.last_review = issued_on
    mark.expires = add_one_year(issued_on)
    mark.next_review = mark.expires - timedelta(days=REVIEW_LEAD_DAYS)
    mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
    mark.save(
        update_fields=["issued", "last_review", "expires", "next_review", "credential_jwt", "credential_kid"]
    )
    tlog.append_for_mark(mark, kind="issued")  # the back-dated validity is what the log vouches for
    _forget_answer(mark)


def seed(log: list[str]) -> None:
    from .services import trust_mark_issue

    assessor = User.objects.filter(is_assessor=True).order_by("pk").first()
    if assessor is None or rubric_version_current() is None:
        return
    # A demo database made before the transparency log existed gets its history logged once.
    count = tlog.backfill(out=log)
    if count:
        log.append(f"transparency log: logged {count} earlier event(s)")
    today = timezone.localdate()
    for slug, name, tier, days_ago, then, values in DEMO_MARKS:
        org, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "size_tier": tier})
        existing = TrustMark.objects.filter(organisation=org).first()
        if existing is not None:
            # Acme AI's mark was issued today by the assessment demo's pass decision; the demo
            # story has it issued `days_ago` days ago, like its (back-dated) decision.
            _backdate(existing, issued_on=today - timedelta(days=days_ago))
            continue
        scores = {f"PSF-{n}": value for n, value in enumerate(values, start=1)}
        assessment = _passed_assessment(org, days_ago=days_ago, scores=scores, assessor=assessor)
        mark = trust_mark_issue(
            assessment=assessment, actor=assessor, issued_on=today - timedelta(days=days_ago)
        )
        if then == "suspend":
            trust_mark_suspend(mark=mark, actor=assessor, reason=REASONS[then])
        elif then == "revoke":
            trust_mark_revoke(mark=mark, actor=assessor, reason=REASONS[then])
        log.append(f"trust mark {mark.mark_id} ({name})")
    trust_marks_expire(today=today)
