"""Builders for trust-mark tests: passed assessments created directly, marks issued by the service."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

ISSUER = "https://certify.example.org"
HOSTILE = '<script>alert(1)</script> & "Co"'
SCORES = {
    "PSF-1": 3.4,
    "PSF-2": 3.6,
    "PSF-3": 3.2,
    "PSF-4": 3.0,
    "PSF-5": 3.8,
    "PSF-6": 3.5,
    "PSF-7": 3.1,
    "PSF-8": 2.6,
}
_counter = itertools.count(1)


def lead_assessor() -> Any:
    """The demo's lead assessor (lee@workflowos.example), who countersigns ada's requests."""
    from accounts.demo import seed_lead_assessor

    return seed_lead_assessor([])


def passed_assessment(
    org: Any, rubric_version: Any, assessor: Any, scores: dict[str, float] | None = None
) -> Any:
    from django.utils import timezone

    from assessments.models import Assessment

    return Assessment.objects.create(
        organisation=org,
        rubric_version=rubric_version,
        status=Assessment.PASSED,
        systems_description="Customer support assistant",
        size_tier=org.size_tier,
        acknowledge_due=timezone.localdate(),
        domain_scores=dict(scores or SCORES),
        computed_passed=True,
        decided_by=assessor,
        decided_at=timezone.now(),
    )


def issue_mark(
    personas: Any,
    rubric_version: Any,
    *,
    org: Any = None,
    company: str | None = None,
    issued_on: date | None = None,
    days_ago: int | None = None,
    status: str = "active",
) -> Any:
    """A mark issued by ``trust_mark_issue`` (then suspended/revoked/expired if asked)."""
    from django.utils import timezone

    from accounts.models import Organisation
    from trustmarks.services import (
        trust_mark_issue,
        trust_mark_revoke,
        trust_mark_suspend,
        trust_marks_expire,
    )

    if org is None:
        if company is None:
            org = personas.acme
        else:
            n = next(_counter)
            org = Organisation.objects.create(name=company, slug=f"org-{n}")
    if days_ago is not None:
        issued_on = timezone.localdate() - timedelta(days=days_ago)
    if status == "expired" and issued_on is None:
        issued_on = timezone.localdate() - timedelta(days=400)
    assessment = passed_assessment(org, rubric_version, personas.ada)
    mark = trust_mark_issue(assessment=assessment, actor=personas.ada, issued_on=issued_on)
    if status == "suspended":
        mark = trust_mark_suspend(mark=mark, actor=personas.ada, reason="PSF-6 review queue switched off")
    elif status == "revoked":
        mark = trust_mark_revoke(
            mark=mark, actor=personas.ada, reason="Assessed service withdrawn", approver=lead_assessor()
        )
    elif status == "expired":
        trust_marks_expire()
        mark.refresh_from_db()
    return mark


def decode_list(client: Any, purpose: str, jwks: dict[str, Any]) -> Any:
    """The published status list of ``purpose``, signature-checked and decoded."""
    from datetime import UTC, datetime

    from trustmarks.statuslist import verify_status_list_jwt

    resp = client.get(f"/api/certify/status/{purpose}")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/vc+jwt"
    return verify_status_list_jwt(resp.content.decode(), jwks, now=datetime.now(UTC))


def review_for_renewal(mark: Any, actor: Any) -> Any:
    """A completed surveillance review confirming the mark's scores (a renewal needs one)."""
    from trustmarks.services import trust_mark_review

    return trust_mark_review(
        mark=mark, actor=actor, evidence_valid=True, scores=dict(mark.scores), notes="Evidence still current"
    )
