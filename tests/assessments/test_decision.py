from __future__ import annotations

from datetime import timedelta

import pytest

from assessments import services
from assessments.models import Assessment, GapReport
from lib.errors import DomainError
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db


def test_domain_scores_are_derived_from_criteria(personas):
    a = h.in_review(personas)
    scores = {
        "PSF-1.1": (5, ""),
        "PSF-1.2": (4, ""),
        "PSF-1.3": (4, ""),
        "PSF-1.4": (3, ""),
        "PSF-1.5": (3, ""),
    }
    domain = services.criterion_scores_save(assessment=a, actor=personas.ada, scores=scores)
    assert domain == {"PSF-1": 3.8}
    preview = services.decision_preview(assessment=a)
    assert not preview.complete and len(preview.missing) == 35 and not preview.passed


def test_scores_are_validated(personas):
    a = h.in_review(personas)
    with pytest.raises(DomainError) as exc:
        services.criterion_scores_save(
            assessment=a, actor=personas.ada, scores={"PSF-1.1": (6, ""), "PSF-9.9": (1, "")}
        )
    assert {e.path for e in exc.value.errors} == {"PSF-1.1", "PSF-9.9"}


def test_decision_needs_every_criterion(personas):
    a = h.in_review(personas)
    with pytest.raises(DomainError, match="Score every criterion"):
        services.assessment_decide(assessment=a, actor=personas.ada, outcome="fail")


def test_pass_issues_the_trust_mark(personas):
    a = h.in_review(personas)
    h.score_all(a, personas.ada, 4)
    assert services.decision_preview(assessment=a).outcome == "pass"
    services.assessment_decide(assessment=a, actor=personas.ada, outcome="pass")
    a.refresh_from_db()
    assert a.status == Assessment.PASSED and a.domain_scores["PSF-1"] == 4.0
    assert not GapReport.objects.filter(assessment=a).exists()
    pytest.importorskip("trustmarks.services", reason="the trust-marks feature provides trust_mark_issue")
    from trustmarks.models import TrustMark

    assert TrustMark.objects.filter(assessment=a).exists()


def test_fail_writes_a_gap_report_and_opens_the_reassessment_window(personas):
    a = h.in_review(personas)
    h.score_all(
        a,
        personas.ada,
        h.failing_scores() | {"PSF-4.1": 1},
        comment="Only a screenshot of a dashboard with no alerting.",
    )
    preview = services.decision_preview(assessment=a)
    assert preview.outcome == "fail"
    assert any("PSF-4 scored" in r for r in preview.reasons)
    services.assessment_decide(assessment=a, actor=personas.ada, outcome="fail")
    a.refresh_from_db()
    assert a.status == Assessment.FAILED and a.reassessment_deadline == a.decided_at.date() + timedelta(
        days=90
    )
    rows = a.gap_report.content
    codes = [r["criterion"] for r in rows]
    # Below the domain threshold: PSF-4 needs 3, PSF-7 needs 2 (7.4 and 7.5 scored 2 are met).
    assert codes == ["PSF-4.1", "PSF-4.2", "PSF-4.3", "PSF-4.4", "PSF-4.5", "PSF-7.1", "PSF-7.2", "PSF-7.3"]
    first = rows[0]
    assert first["score"] == 1 and first["threshold"] == 3.0 and first["evidence_needed"]
    assert first["comment"].startswith("Only a screenshot") and first["target_descriptor"]


def test_override_needs_a_reason_and_is_flagged(personas):
    a = h.in_review(personas)
    h.score_all(a, personas.ada, 4)
    with pytest.raises(DomainError, match="override") as exc:
        services.assessment_decide(assessment=a, actor=personas.ada, outcome="fail", override_reason="no")
    assert exc.value.errors[0].path == "override_reason"
    services.assessment_decide(
        assessment=a,
        actor=personas.ada,
        outcome="fail",
        override_reason="The runbook was written after the incident it claims to cover.",
    )
    a.refresh_from_db()
    assert a.status == Assessment.FAILED and a.decision_overridden and a.computed_passed is True
    assert "runbook" in a.override_reason


def test_reassessment_within_90_days_once(personas):
    p = personas
    a = h.in_review(p)
    h.score_all(a, p.ada, h.failing_scores())
    services.assessment_decide(assessment=a, actor=p.ada, outcome="fail")
    new = services.assessment_reassessment_open(assessment=a, actor=p.alice)
    assert new.status == Assessment.PREPARING and new.reassessment_of == a and new.assessor == p.ada
    assert set(new.scope_workflows.all()) == set(a.scope_workflows.all())
    assert new.evidence.count() == a.evidence.filter(removed_at__isnull=True).count() == 2
    with pytest.raises(DomainError, match="already opened"):
        services.assessment_reassessment_open(assessment=a, actor=p.alice)


def test_reassessment_after_the_window_is_refused(personas):
    p = personas
    a = h.in_review(p)
    h.score_all(a, p.ada, h.failing_scores())
    services.assessment_decide(assessment=a, actor=p.ada, outcome="fail")
    a.refresh_from_db()
    Assessment.objects.filter(pk=a.pk).update(reassessment_deadline=a.decided_at.date() - timedelta(days=1))
    a.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.assessment_reassessment_open(assessment=a, actor=p.alice)
    assert (
        exc.value.code == "reassessment_window_closed"
        and "window" in exc.value.message
        and "Apply for a new assessment" in exc.value.message
    )
