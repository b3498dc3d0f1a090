from __future__ import annotations

import pytest
from django.core.management import call_command

from assessments import services
from assessments.models import ActivityEvent, Assessment
from core.audit import audit_log_verify
from core.models import AuditEvent
from lib.errors import DomainError
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db


def actions_of(a: Assessment) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="assessment", object_id=str(a.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_happy_path_writes_audit_activity_and_mail(personas, mailoutbox, django_capture_on_commit_callbacks):
    p = personas
    with django_capture_on_commit_callbacks(execute=True):
        a = h.in_review(p)
        h.score_all(a, p.ada, 4)
        services.assessment_decide(assessment=a, actor=p.ada, outcome="pass")
    a.refresh_from_db()
    assert a.status == Assessment.PASSED
    assert a.computed_passed is True and not a.decision_overridden
    assert actions_of(a) == [
        "assessment.applied",
        "assessment.accepted",
        "assessment.scoped",
        "assessment.evidence_added",
        "assessment.evidence_added",
        "assessment.submitted",
        "assessment.claimed",
        "assessment.scored",
        "assessment.decided",
    ]
    assert audit_log_verify(chain="audit").ok
    call_command("verify_audit_log", "--chain", "audit")  # exits 0
    verbs = set(ActivityEvent.objects.filter(assessment=a).values_list("verb", flat=True))
    assert {"applied", "accepted", "scoped", "submitted", "claimed", "passed"} <= verbs
    subjects = [m.subject for m in mailoutbox]
    assert any(
        "application received" in s and m.to == ["alice@acme.example"]
        for s, m in zip(subjects, mailoutbox, strict=True)
    )
    assert any(
        "New DSA application" in s and m.to == ["ada@workflowos.example"]
        for s, m in zip(subjects, mailoutbox, strict=True)
    )
    assert any("scope agreed" in s for s in subjects)
    assert any("Submission waiting" in m.subject and m.to == ["ada@workflowos.example"] for m in mailoutbox)
    passed = [m for m in mailoutbox if "passed" in m.subject]
    assert {m.to[0] for m in passed} == {"alice@acme.example", "pat@acme.example", "mia@msp.example"}


def test_a_rolled_back_transition_sends_nothing(personas, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.assessment_apply(
            organisation=personas.acme,
            actor=personas.pat,
            systems_description="x",
            size_tier="mid_market",
            expedited=False,
        )
    assert mailoutbox == []


@pytest.mark.parametrize(
    "do, message",
    [
        (lambda p, a: services.assessment_submit(assessment=a, actor=p.alice), "cannot be submitted now"),
        (lambda p, a: services.assessment_claim(assessment=a, actor=p.ada), "cannot be claimed now"),
        (
            lambda p, a: services.assessment_decide(assessment=a, actor=p.ada, outcome="pass"),
            "cannot be decided now",
        ),
        (
            lambda p, a: services.assessment_reassessment_open(assessment=a, actor=p.alice),
            "cannot be reassessed now",
        ),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(personas, do, message):
    a = h.applied(personas)
    with pytest.raises(DomainError) as exc:
        do(personas, a)
    assert exc.value.status == 409 and exc.value.code == "illegal_transition"
    assert message in exc.value.message and "Applied" in exc.value.message
    a.refresh_from_db()
    assert a.status == Assessment.APPLIED


def test_roles_are_checked_in_the_service(personas):
    p = personas
    with pytest.raises(DomainError, match="Only an organisation admin"):
        services.assessment_apply(
            organisation=p.acme, actor=p.pat, systems_description="x", size_tier="mid_market", expedited=False
        )
    with pytest.raises(DomainError, match="Only members"):
        services.assessment_apply(
            organisation=p.acme, actor=p.gus, systems_description="x", size_tier="mid_market", expedited=False
        )
    a = h.applied(p)
    with pytest.raises(DomainError, match="Only a platform assessor"):
        services.assessment_accept(assessment=a, actor=p.alice)
    services.assessment_accept(assessment=a, actor=p.ada)
    with pytest.raises(DomainError, match="assigned to Ada Assessor"):
        services.assessment_scope(
            assessment=a,
            actor=p.root,
            workflows=[],
            scope_summary="x",
            timeline="",
            target_date=None,
            checklist=[],
        )
    with pytest.raises(DomainError, match="Only members"):
        services.evidence_add(
            assessment=a, actor=p.gus, criterion="PSF-1.1", kind="link", url="https://x.example"
        )


def test_one_open_assessment_per_organisation(personas):
    h.applied(personas)
    with pytest.raises(DomainError, match="already has an open assessment"):
        h.applied(personas)


def test_application_must_describe_systems(personas):
    with pytest.raises(DomainError) as exc:
        services.assessment_apply(
            organisation=personas.acme,
            actor=personas.alice,
            systems_description="   ",
            size_tier="nope",
            expedited=False,
        )
    assert {e.path for e in exc.value.errors} == {"systems_description", "size_tier"}


def test_submit_needs_scope_and_evidence(personas):
    a = h.preparing(personas)
    with pytest.raises(DomainError, match="Attach evidence"):
        services.assessment_submit(assessment=a, actor=personas.alice)
    with pytest.raises(DomainError, match="Only an organisation admin"):
        services.assessment_submit(assessment=a, actor=personas.pat)


def test_claim_of_someone_elses_submission_is_refused(personas, django_user_model):
    other = django_user_model.objects.create_user("bea@workflowos.example", "pw-123456789", is_assessor=True)
    a = h.submitted(personas)
    with pytest.raises(DomainError, match="assigned to Ada Assessor"):
        services.assessment_claim(assessment=a, actor=other)
    services.assessment_assign(assessment=a, actor=personas.root, assessor=other)
    services.assessment_claim(assessment=a, actor=other)
    a.refresh_from_db()
    assert a.status == Assessment.IN_REVIEW and a.assessor == other
    with pytest.raises(DomainError, match="Only a platform admin"):
        services.assessment_assign(assessment=a, actor=personas.ada, assessor=personas.ada)


def test_clarification_round_trip(personas, mailoutbox, django_capture_on_commit_callbacks):
    p = personas
    a = h.in_review(p)
    with django_capture_on_commit_callbacks(execute=True):
        clar = services.assessment_clarification_request(
            assessment=a, actor=p.ada, questions="Where is the incident log?"
        )
    a.refresh_from_db()
    assert a.status == Assessment.CLARIFICATION and a.sla_paused_at is not None
    assert any("has questions" in m.subject and "incident log" in m.body for m in mailoutbox)
    with pytest.raises(DomainError, match="Answer the assessor"):
        services.assessment_submit(assessment=a, actor=p.alice)
    services.clarification_answer(clarification=clar, actor=p.pat, answer="Attached as PSF-4.3.")
    services.evidence_add(
        assessment=a, actor=p.pat, criterion="PSF-4.3", kind="link", url="https://logs.example/incidents"
    )
    sub = services.assessment_submit(assessment=a, actor=p.alice)
    a.refresh_from_db()
    assert a.status == Assessment.IN_REVIEW and a.sla_paused_at is None
    assert sub.number == 2
    assert sub.snapshot["clarifications"][0]["answer"] == "Attached as PSF-4.3."
    assert "assessment.resubmitted" in actions_of(a)


def test_withdraw(personas):
    a = h.preparing(personas)
    services.assessment_withdraw(assessment=a, actor=personas.alice, reason="Budget moved to next year")
    a.refresh_from_db()
    assert a.status == Assessment.WITHDRAWN
    with pytest.raises(DomainError, match="cannot be withdrawn now"):
        services.assessment_withdraw(assessment=a, actor=personas.alice)
    h.applied(personas)  # a withdrawn assessment no longer blocks a new application
