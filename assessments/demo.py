"""Demo assessments, built through the real services (so the audit log and feeds are real):

- Acme AI passed (its trust mark is issued through the hook; the trust-mark seeder numbers it);
- Globex failed, with a gap report and its free reassessment window still open;
- an Acme AI scope extension waits in the review queue for ada@workflowos.example;
- an expedited Initech submission is overdue.

Idempotent: each item is created only when its organisation has nothing of that kind yet. Dates
are moved into the past afterwards so the demo tells a plausible story (the audit log keeps the
real times).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from lib.errors import DomainError
from psf.selectors import rubric_version_current
from studio.models import Workflow

from . import services, sla
from .models import ActivityEvent, Assessment
from .policy import policy

# Organisation admins the demo needs besides accounts.demo's personas (Globex and Initech have none there).
DEMO_ADMINS = [
    ("grace@globex.example", "Grace Globex", "globex", "Globex", "enterprise"),
    ("ian@initech.example", "Ian Initech", "initech", "Initech", "enterprise"),
]

PASS_SCORES = {
    "PSF-1": (4, 4, 3, 4, 3),
    "PSF-2": (4, 3, 4, 3, 4),
    "PSF-3": (3, 4, 3, 3, 3),
    "PSF-4": (3, 3, 4, 3, 3),
    "PSF-5": (4, 4, 4, 3, 4),
    "PSF-6": (4, 3, 4, 3, 4),
    "PSF-7": (3, 3, 3, 4, 3),
    "PSF-8": (3, 2, 3, 2, 3),
}
FAIL_SCORES = {
    "PSF-1": (3, 4, 3, 3, 4),
    "PSF-2": (4, 3, 3, 3, 3),
    "PSF-3": (3, 3, 4, 3, 3),
    "PSF-4": (2, 1, 2, 2, 3),
    "PSF-5": (3, 3, 3, 4, 3),
    "PSF-6": (3, 2, 2, 3, 2),
    "PSF-7": (3, 2, 3, 2, 3),
    "PSF-8": (2, 2, 3, 2, 2),
}
LOW_COMMENTS = {
    1: "No evidence that this is in place; the submitted map shows no such step.",
    2: "Partly in place: described in a document, but nothing shows it running in production.",
}

RUNBOOK_MD = b"""# Incident runbook: AI assistants

1. Page the on-call engineer when the output validator rejects more than 5 % of answers in 10 minutes.
2. Switch the assistant to the fallback model (feature flag `assistant.fallback`).
3. If the fallback fails too, turn the assistant off and show the help-centre search instead.
4. Post-incident review within 5 business days; findings go to the PSF register.
"""
MONITORING_CSV = b"""metric,threshold,alert_channel
answer_rejection_rate,0.05,#ai-oncall
p95_latency_ms,4000,#ai-oncall
pii_redaction_failures,1,#security
vendor_error_rate,0.02,#ai-oncall
"""


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def _ensure_admins(log: list[str]) -> None:
    for email, name, slug, org_name, tier in DEMO_ADMINS:
        org, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": org_name, "size_tier": tier})
        user = _user(email)
        if user is None:
            user = User.objects.create_user(email, settings.DEMO_PASSWORD, name=name)
            log.append(f"user {email}")
        Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": Membership.ADMIN})


def _workflows(org: Organisation, author: User, wanted: list[tuple[str, str]]) -> list[Workflow]:
    from studio.services import workflow_from_template

    out = []
    for name, template in wanted:
        wf = Workflow.objects.filter(organisation=org, name=name, deleted_at__isnull=True).first()
        if wf is None:
            wf = workflow_from_template(organisation=org, author=author, slug=template, name=name)
        out.append(wf)
    return out


def _scores(table: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int | None, str]]:
    out: dict[str, tuple[int | None, str]] = {}
    for domain, values in table.items():
        for i, score in enumerate(values, start=1):
            comment = LOW_COMMENTS.get(score, "Evidence matches the level descriptor." if score >= 3 else "")
            out[f"{domain}.{i}"] = (score, comment)
    return out


def _evidence(a: Assessment, member: User, workflows: list[Workflow]) -> None:
    services.evidence_add(
        assessment=a,
        actor=member,
        criterion="PSF-5.3",
        kind="file",
        title="Incident runbook",
        upload=services.Upload("incident-runbook.md", io.BytesIO(RUNBOOK_MD)),
    )
    services.evidence_add(
        assessment=a,
        actor=member,
        criterion="PSF-4.1",
        kind="file",
        title="Alert thresholds",
        upload=services.Upload("alerts.csv", io.BytesIO(MONITORING_CSV)),
    )
    services.evidence_add(
        assessment=a,
        actor=member,
        criterion="PSF-4.2",
        kind="link",
        title="Production dashboard (read-only)",
        url="https://grafana.example/d/ai-assistants",
    )
    for wf in workflows:
        head = wf.versions.order_by("-number").first()
        if head is None:
            continue
        services.evidence_add(
            assessment=a, actor=member, criterion="PSF-1.1", kind="workflow", ref=str(head.pk)
        )
        with contextlib.suppress(DomainError):  # analyses not available on this instance yet
            services.evidence_add(
                assessment=a, actor=member, criterion="PSF-2.1", kind="analysis", ref=str(head.pk)
            )


def _backdate(
    a: Assessment,
    *,
    applied_days_ago: int,
    submitted_days_ago: int | None = None,
    decided_days_ago: int | None = None,
) -> None:
    """Move an assessment's timeline into the past (business days for the SLA dates)."""
    a.refresh_from_db()
    now = timezone.now()
    applied = now - timedelta(days=applied_days_ago)
    track = policy().track(a.expedited)
    fields: dict[str, Any] = {
        "applied_at": applied,
        "created": applied,
        "acknowledge_due": sla.due_after(track.acknowledge_days, start=applied.date()),
        "acknowledged_at": applied + timedelta(days=1) if a.acknowledged_at else None,
        "scoped_at": applied + timedelta(days=2) if a.scoped_at else None,
    }
    end = applied + timedelta(days=2)
    if submitted_days_ago is not None and a.submitted_at:
        submitted = now - timedelta(days=submitted_days_ago)
        fields |= {
            "submitted_at": submitted,
            "review_due": sla.due_after(track.review_days, start=submitted.date()),
        }
        end = submitted
        if a.claimed_at:
            fields["claimed_at"] = submitted + timedelta(hours=20)
    if decided_days_ago is not None and a.decided_at:
        decided = now - timedelta(days=decided_days_ago)
        fields["decided_at"] = decided
        end = decided
        if a.reassessment_deadline:
            fields["reassessment_deadline"] = decided.date() + timedelta(
                days=policy().reassessment_window_days
            )
    Assessment.objects.filter(pk=a.pk).update(**fields)
    a.submissions.update(created=fields.get("submitted_at", end))
    _spread_activity(a, applied, end)


def _spread_activity(a: Assessment, start: datetime, end: datetime) -> None:
    events = list(ActivityEvent.objects.filter(assessment=a).order_by("pk"))
    if not events:
        return
    step = (end - start) / max(1, len(events) - 1)
    for i, ev in enumerate(events):
        ActivityEvent.objects.filter(pk=ev.pk).update(created=start + step * i)


def _scoped(
    org: Organisation,
    *,
    applicant: User,
    mapper: User,
    assessor: User,
    description: str,
    workflows: list[tuple[str, str]],
    scope_summary: str,
    timeline: str,
    expedited: bool = False,
) -> tuple[Assessment, list[Workflow]]:
    """Apply, accept and scope an assessment through the real services (steps 1–2 of the DSA)."""
    a = services.assessment_apply(
        organisation=org,
        actor=applicant,
        systems_description=description,
        size_tier=org.size_tier,
        expedited=expedited,
    )
    services.assessment_accept(assessment=a, actor=assessor)
    wfs = _workflows(org, mapper, workflows)
    services.assessment_scope(
        assessment=a,
        actor=assessor,
        workflows=wfs,
        scope_summary=scope_summary,
        timeline=timeline,
        target_date=None,
        checklist=services.checklist_default(services.rubric_for(a)),
    )
    return a, wfs


def _decided(a: Assessment, *, submitter: User, assessor: User, scores: Any, outcome: str) -> None:
    """Submit, claim, score and decide an assessment through the real services (steps 4–6)."""
    services.assessment_submit(assessment=a, actor=submitter)
    services.assessment_claim(assessment=a, actor=assessor)
    services.criterion_scores_save(assessment=a, actor=assessor, scores=_scores(scores))
    services.assessment_decide(assessment=a, actor=assessor, outcome=outcome)


def _acme_passed(acme: Organisation, alice: User, pat: User, ada: User, log: list[str]) -> None:
    if Assessment.objects.filter(organisation=acme, status=Assessment.PASSED).exists():
        return
    a, wfs = _scoped(
        acme,
        applicant=alice,
        mapper=pat,
        assessor=ada,
        description="Customer help-centre assistant (retrieval over our help articles, GPT-4o with a Claude fallback) "
        "and the refund support agent that proposes refunds for a human to approve.",
        workflows=[
            ("Customer help-centre assistant", "rag-assistant"),
            ("Refund support agent", "support-agent-tools"),
        ],
        scope_summary="The customer help-centre assistant and the refund support agent, production deployments in the EU region.",
        timeline="Scoping call 30 min; evidence in two weeks; decision within 15 business days of the application.",
    )
    _evidence(a, pat, wfs)
    _decided(a, submitter=alice, assessor=ada, scores=PASS_SCORES, outcome="pass")
    _backdate(a, applied_days_ago=78, submitted_days_ago=64, decided_days_ago=60)
    log.append(f"assessment {a.reference} (Acme AI, passed)")


def _globex_failed(globex: Organisation, grace: User, gus: User, ada: User, log: list[str]) -> None:
    if Assessment.objects.filter(organisation=globex, status=Assessment.FAILED).exists():
        return
    a, wfs = _scoped(
        globex,
        applicant=grace,
        mapper=gus,
        assessor=ada,
        description="Invoice data extraction from supplier PDFs with an LLM, feeding the accounts-payable system.",
        workflows=[("Invoice extraction", "document-extraction")],
        scope_summary="Invoice extraction pipeline (production).",
        timeline="Evidence in ten days.",
    )
    services.evidence_add(
        assessment=a,
        actor=gus,
        criterion="PSF-2.2",
        kind="link",
        title="Schema validation config",
        url="https://git.globex.example/ap/extraction/schema.json",
    )
    for wf in wfs:
        head = wf.versions.order_by("-number").first()
        if head is not None:
            services.evidence_add(
                assessment=a, actor=gus, criterion="PSF-1.1", kind="workflow", ref=str(head.pk)
            )
    _decided(a, submitter=grace, assessor=ada, scores=FAIL_SCORES, outcome="fail")
    _backdate(a, applied_days_ago=28, submitted_days_ago=18, decided_days_ago=14)
    log.append(f"assessment {a.reference} (Globex, failed, reassessment open)")


def _acme_in_queue(acme: Organisation, alice: User, pat: User, ada: User, log: list[str]) -> None:
    if Assessment.objects.filter(organisation=acme, status__in=Assessment.OPEN_STATES).exists():
        return
    a, wfs = _scoped(
        acme,
        applicant=alice,
        mapper=pat,
        assessor=ada,
        description="Scope extension: the prototype sales agent goes to production next quarter.",
        workflows=[("Prototype sales agent (unguarded)", "demo-unguarded-agent")],
        scope_summary="The sales agent (new deployment).",
        timeline="Review within 5 business days of submission.",
    )
    _evidence(a, pat, wfs)
    services.assessment_submit(assessment=a, actor=alice)
    _backdate(a, applied_days_ago=6, submitted_days_ago=1)
    log.append(f"assessment {a.reference} (Acme AI, waiting in ada's queue)")


def _initech_overdue(ian: User, ada: User, log: list[str]) -> None:
    initech = Organisation.objects.get(slug="initech")
    if Assessment.objects.filter(organisation=initech).exclude(status=Assessment.PASSED).exists():
        return
    a, _wfs = _scoped(
        initech,
        applicant=ian,
        mapper=ian,
        assessor=ada,
        description="Claims triage assistant: summarises insurance claims for a human adjuster who decides.",
        workflows=[("Claims triage assistant", "high-stakes-decision")],
        scope_summary="Claims triage assistant (expedited).",
        timeline="Expedited: decision in 5 business days.",
        expedited=True,
    )
    services.evidence_add(
        assessment=a,
        actor=ian,
        criterion="PSF-6.1",
        kind="link",
        title="Adjuster review procedure",
        url="https://wiki.initech.example/claims/adjuster-review",
    )
    services.assessment_submit(assessment=a, actor=ian)
    _backdate(a, applied_days_ago=12, submitted_days_ago=7)
    log.append(f"assessment {a.reference} (Initech, expedited, overdue)")


def seed(log: list[str]) -> None:
    ada, alice, pat, gus = (
        _user(e)
        for e in ("ada@workflowos.example", "alice@acme.example", "pat@acme.example", "gus@globex.example")
    )
    if None in (ada, alice, pat, gus) or rubric_version_current() is None:
        return
    assert ada and alice and pat and gus
    _ensure_admins(log)
    grace, ian = _user("grace@globex.example"), _user("ian@initech.example")
    assert grace and ian
    acme = Organisation.objects.get(slug="acme-ai")
    globex = Organisation.objects.get(slug="globex")
    _acme_passed(acme, alice, pat, ada, log)
    _globex_failed(globex, grace, gus, ada, log)
    _acme_in_queue(acme, alice, pat, ada, log)
    _initech_overdue(ian, ada, log)
