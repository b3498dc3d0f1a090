"""Demo data for the organisation path: Acme AI's inventory (linked to its workflows) and a PAI-8
history — an audited self-assessment half a year ago and a newer self-assessed one — with an
improvement plan, one action overdue."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Organisation, User
from studio.models import Workflow

from .models import AISystem, ImprovementAction, Pai8Answer, Pai8Assessment
from .services import fill_from_maps

SYSTEMS = [
    {
        "name": "Help-centre assistant",
        "workflow": "Customer help-centre assistant",
        "purpose": "Answers customers' product questions from published help-centre articles.",
        "business_owner": "Head of Customer Support",
        "technical_owner": "Support platform team",
        "status": "production",
        "risk_tier": "medium",
        "eu_role": "deployer",
        "eu_risk_class": "limited",
        "users_affected": "Customers using the help-centre chat",
    },
    {
        "name": "Refund support agent",
        "workflow": "Refund support agent",
        "purpose": "Handles refund requests and issues refunds within limits, escalating the rest.",
        "business_owner": "VP Customer Operations",
        "technical_owner": "Payments engineering",
        "status": "pilot",
        "risk_tier": "high",
        "eu_role": "deployer",
        "eu_risk_class": "limited",
        "users_affected": "Customers requesting refunds",
    },
    {
        "name": "Sales prospecting agent",
        "workflow": "Prototype sales agent (unguarded)",
        "purpose": "Drafts outreach to prospects from CRM data. Prototype, not yet approved.",
        "business_owner": "Head of Sales",
        "technical_owner": "Growth engineering",
        "status": "pilot",
        "risk_tier": "critical",
        "eu_role": "deployer",
        "eu_risk_class": "minimal",
        "users_affected": "Prospects (personal data from the CRM)",
    },
    {
        "name": "CV screening assistant",
        "workflow": "",
        "purpose": "Idea: rank applicants for first-round interviews. Needs a risk assessment first.",
        "business_owner": "Head of People",
        "technical_owner": "",
        "status": "idea",
        "risk_tier": "critical",
        "eu_role": "deployer",
        "eu_risk_class": "high_risk",
        "annex_iii_area": "employment",
        "users_affected": "Job applicants",
    },
]

# Earlier (audited) and current (self-assessed) levels per control; checkpoints take their
# control's level except where noted.
EARLIER = {"C1": 1, "C2": 1, "C3": 1, "C4": 0, "C5": 1, "C6": 1, "C7": 1, "C8": 1}
CURRENT = {"C1": 2, "C2": 2, "C3": 1, "C4": 1, "C5": 2, "C6": 1, "C7": 2, "C8": 2}
JUSTIFICATIONS = {
    0: "Nothing in place yet.",
    1: "Written down and owned, not yet applied to every decision.",
    2: "Operating: applied to every new deployment and reviewed monthly by the AI governance group.",
    3: "Measured and improved from incident and review data.",
}


def _assessment(
    org: Organisation, admin: User, levels: dict[str, int], when, *, auditor: User | None
) -> None:
    from psf.selectors import maturity_of, pai8_version_get

    rv = pai8_version_get()
    if rv is None:
        return
    fw = maturity_of(rv)
    a = Pai8Assessment.objects.create(organisation=org, framework_version=rv, started_by=admin, created=when)
    for c in fw.controls:
        for p in c.checkpoints:
            Pai8Answer.objects.create(
                assessment=a,
                checkpoint=p.code,
                level=levels[c.code],
                justification=JUSTIFICATIONS[levels[c.code]],
                owner="AI governance group" if c.code in ("C1", "C2") else "CTO office",
                updated_by=admin,
                updated=when,
                audited_level=levels[c.code] if auditor else None,
            )
    posture = fw.posture({p.code: levels[c.code] for c in fw.controls for p in c.checkpoints})
    a.status = Pai8Assessment.AUDITED if auditor else Pai8Assessment.COMPLETED
    a.completed_at = when
    a.posture_level, a.posture_mean, a.control_levels = posture.level, posture.mean, posture.controls
    if auditor:
        a.submitted_at = when + timedelta(days=3)
        a.auditor, a.audited_at = auditor, when + timedelta(days=10)
        a.audited_posture_level, a.audited_posture_mean = posture.level, posture.mean
        a.audited_control_levels = posture.controls
    a.save()


def seed(log: list[str]) -> None:
    org = Organisation.objects.filter(slug="acme-ai").first()
    admin = User.objects.filter(email="alice@acme.example").first()
    if org is None or admin is None or AISystem.objects.filter(organisation=org).exists():
        return
    for row in SYSTEMS:
        values = {k: v for k, v in row.items() if k != "workflow"}
        system = AISystem.objects.create(organisation=org, created_by=admin, **values)
        wf = (
            Workflow.objects.filter(organisation=org, name=row["workflow"]).first()
            if row["workflow"]
            else None
        )
        if wf is not None:
            system.workflows.add(wf)
            changed = fill_from_maps(system)
            if changed:
                system.save(update_fields=changed)
    log.append(f"{len(SYSTEMS)} AI systems in Acme's inventory")
    now = timezone.now()
    auditor = User.objects.filter(email="ada@workflowos.example").first()
    _assessment(org, admin, EARLIER, now - timedelta(days=190), auditor=auditor)
    _assessment(org, admin, CURRENT, now - timedelta(days=12), auditor=None)
    today = timezone.localdate()
    for control, action, owner, due in (
        (
            "C3",
            "Document the PII handling procedure for prompts, logs and vector stores",
            "DPO",
            today - timedelta(days=5),
        ),
        (
            "C4",
            "Add bias tests to the refund agent's pre-release evaluation",
            "ML lead",
            today + timedelta(days=30),
        ),
        (
            "C6",
            "Write the AI incident runbook and run a tabletop exercise",
            "Head of SRE",
            today + timedelta(days=45),
        ),
    ):
        ImprovementAction.objects.create(
            organisation=org, control=control, action=action, owner=owner, due=due
        )
    log.append("a PAI-8 history for Acme (audited, then self-assessed) with an improvement plan")
