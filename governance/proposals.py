"""Evidence the app already holds that bears on a PAI-8 checkpoint (C1.3 → the inventory, C8 →
vendors across the inventory and PSF-8 findings, C7 → PSF-4 findings and the audit trail, …).

Each checkpoint names the kinds it draws on (``proposes`` in the framework file); this module
gathers each kind once per organisation, in a fixed number of queries, and words it for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from psf.maturity import Control, MaturityFramework


@dataclass(frozen=True)
class Proposal:
    kind: str
    text: str
    url: str = ""


def _latest_analyses(org: Organisation) -> list[dict[str, Any]]:
    """The stored analysis results of each live workflow's head version (current rubric)."""
    from studio.models import Analysis, WorkflowVersion

    heads = (
        WorkflowVersion.objects.filter(workflow__organisation=org, workflow__deleted_at__isnull=True)
        .filter(number=F("workflow__head_number"))
        .values_list("content_hash", flat=True)
    )
    rows = (
        Analysis.objects.filter(
            organisation=org, content_hash__in=list(heads), rubric_version__is_current=True
        )
        .filter(rubric_version__framework="PSF")
        .order_by("content_hash", "-created")
        .values("content_hash", "result")
    )
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["content_hash"], row["result"])
    return list(seen.values())


def gather(org: Organisation) -> dict[str, Any]:
    """Everything the proposals draw on, for one organisation."""
    from assessments.models import Assessment
    from core.models import AuditEvent
    from simulations.models import SimulationRun
    from trustmarks.models import TrustMark

    from .models import AISystem

    inv = AISystem.objects.filter(organisation=org).aggregate(n=Count("pk"), last=Max("updated"))
    vendors = sorted(
        {
            v
            for row in AISystem.objects.filter(organisation=org).values_list("vendors", flat=True)
            for v in row or []
        },
        key=str.lower,
    )
    sims = SimulationRun.objects.filter(organisation=org, status="done").aggregate(
        n=Count("pk"), last=Max("created")
    )
    assessments = [
        {"reference": a.reference, "status": a.get_status_display()}
        for a in Assessment.objects.filter(organisation=org).order_by("-pk")[:3]
    ]
    marks = [
        {"mark_id": m.mark_id, "status": m.effective_status(), "expires": m.expires}
        for m in TrustMark.objects.filter(organisation=org)
        .order_by("-pk")
        .only("number", "status", "expires")[:3]
    ]
    since = timezone.now() - timedelta(days=90)
    audit = AuditEvent.objects.filter(organisation_id_ref=org.pk, created__gte=since).count()
    return {
        "inventory": inv,
        "vendors": vendors,
        "analyses": _latest_analyses(org),
        "simulations": sims,
        "assessments": assessments,
        "marks": marks,
        "audit": audit,
    }


def _domain_summary(analyses: list[dict[str, Any]], domains: tuple[str, ...]) -> str:
    parts = []
    for code in domains:
        scores = [
            d["score"]
            for a in analyses
            for d in a.get("domains", [])
            if d.get("code") == code and d.get("score") is not None
        ]
        open_findings = sum(
            1
            for a in analyses
            for f in a.get("findings", [])
            if f.get("domain") == code and f.get("status") != "met"
        )
        if scores:
            parts.append(f"{code} mean {sum(scores) / len(scores):.1f}/5, {open_findings} open finding(s)")
    return "; ".join(parts)


def for_checkpoint(kinds: tuple[str, ...], control: Control, facts: dict[str, Any]) -> list[Proposal]:
    out: list[Proposal] = []
    for kind in kinds:
        if kind == "inventory":
            inv = facts["inventory"]
            if inv["n"]:
                out.append(
                    Proposal(
                        kind,
                        f"AI use-case inventory: {inv['n']} system(s), last updated {inv['last']:%Y-%m-%d}.",
                        reverse("governance:inventory"),
                    )
                )
        elif kind == "inventory_vendors":
            if facts["vendors"]:
                out.append(
                    Proposal(
                        kind,
                        f"Vendors across the inventory: {', '.join(facts['vendors'][:8])}.",
                        reverse("governance:inventory"),
                    )
                )
        elif kind == "analyses":
            summary = _domain_summary(facts["analyses"], control.psf_domains)
            if summary:
                out.append(
                    Proposal(
                        kind,
                        f"PSF analyses of {len(facts['analyses'])} workflow(s): {summary}.",
                        reverse("studio:list"),
                    )
                )
        elif kind == "simulations":
            sims = facts["simulations"]
            if sims["n"]:
                out.append(
                    Proposal(
                        kind,
                        f"{sims['n']} simulated run(s) with injected faults, latest {sims['last']:%Y-%m-%d}.",
                        reverse("simulations:index"),
                    )
                )
        elif kind == "assessments":
            if facts["assessments"]:
                text = ", ".join(f"{a['reference']} ({a['status']})" for a in facts["assessments"])
                out.append(
                    Proposal(kind, f"Deployment Safety Assessments: {text}.", reverse("assessments:list"))
                )
        elif kind == "trust_marks":
            if facts["marks"]:
                text = ", ".join(
                    f"{m['mark_id']} {m['status']} until {m['expires']:%Y-%m-%d}" for m in facts["marks"]
                )
                out.append(Proposal(kind, f"Trust marks: {text}.", ""))
        elif kind == "audit_log" and facts["audit"]:
            out.append(
                Proposal(kind, f"Audit trail: {facts['audit']} recorded event(s) in the last 90 days.", "")
            )
    return out


def proposals(framework: MaturityFramework, org: Organisation) -> dict[str, list[Proposal]]:
    """Checkpoint code → proposals of existing evidence."""
    facts = gather(org)
    return {p.code: for_checkpoint(p.proposes, c, facts) for c in framework.controls for p in c.checkpoints}
