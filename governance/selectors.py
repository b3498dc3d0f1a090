"""Reads of the organisation path, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Organisation

from .models import AISystem, ImprovementAction, Pai8Assessment

SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "risk": ("risk_order", "name"),
    "status": ("status", "name"),
    "updated": ("-updated", "name"),
}
RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class InventoryFilter:
    q: str = ""
    status: str = ""
    risk_tier: str = ""
    eu_risk_class: str = ""
    sort: str = "name"

    @classmethod
    def from_query(cls, params: Any) -> InventoryFilter:
        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = str(params.get(name, ""))[:40]
            return value if value in allowed else ""

        return cls(
            q=str(params.get("q", ""))[:100].strip(),
            status=pick("status", tuple(k for k, _ in AISystem.STATUSES)),
            risk_tier=pick("risk", tuple(k for k, _ in AISystem.RISK_TIERS)),
            eu_risk_class=pick("eu", tuple(k for k, _ in AISystem.EU_RISK_CLASSES)),
            sort=pick("sort", tuple(SORTS)) or "name",
        )


def inventory_list(*, organisation: Organisation, f: InventoryFilter | None = None) -> QuerySet[AISystem]:
    from django.db.models import Case, IntegerField, Value, When

    f = f or InventoryFilter()
    qs = AISystem.objects.filter(organisation=organisation)
    if f.q:
        qs = qs.filter(
            Q(name__icontains=f.q)
            | Q(purpose__icontains=f.q)
            | Q(business_owner__icontains=f.q)
            | Q(technical_owner__icontains=f.q)
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.risk_tier:
        qs = qs.filter(risk_tier=f.risk_tier)
    if f.eu_risk_class:
        qs = qs.filter(eu_risk_class=f.eu_risk_class)
    qs = qs.annotate(
        risk_order=Case(
            *[When(risk_tier=k, then=Value(v)) for k, v in RISK_ORDER.items()], output_field=IntegerField()
        )
    )
    from studio.models import Workflow

    return qs.order_by(*SORTS[f.sort]).prefetch_related(
        Prefetch(
            "workflows",
            queryset=Workflow.objects.filter(deleted_at__isnull=True).only("pk", "name", "organisation_id"),
        )
    )


def pai8_history(*, organisation: Organisation) -> list[Pai8Assessment]:
    """Finished self-assessments, oldest first (for the chart)."""
    return list(
        Pai8Assessment.objects.filter(organisation=organisation)
        .exclude(status=Pai8Assessment.DRAFT)
        .select_related("auditor", "framework_version")
        .order_by("completed_at", "pk")
    )


def open_actions(*, organisation: Organisation) -> QuerySet[ImprovementAction]:
    return ImprovementAction.objects.filter(organisation=organisation).exclude(status=ImprovementAction.DONE)


def review_queue() -> QuerySet[Pai8Assessment]:
    return (
        Pai8Assessment.objects.filter(status=Pai8Assessment.SUBMITTED)
        .select_related("organisation")
        .order_by("submitted_at")
    )


def high_risk_without_cover(*, organisation: Organisation) -> list[AISystem]:
    """High or critical systems in pilot or production with no analysed workflow and no current
    trust mark: what the dashboard flags."""
    from studio.models import Analysis
    from trustmarks.models import TrustMark

    systems = list(
        AISystem.objects.filter(
            organisation=organisation, risk_tier__in=("high", "critical"), status__in=("pilot", "production")
        ).prefetch_related("workflows__versions")
    )
    analysed = set(
        Analysis.objects.filter(organisation=organisation, rubric_version__is_current=True).values_list(
            "content_hash", flat=True
        )
    )
    has_mark = TrustMark.objects.filter(organisation=organisation, status=TrustMark.ACTIVE).exists()
    out = []
    for s in systems:
        heads = [
            v.content_hash for w in s.workflows.all() for v in w.versions.all() if v.number == w.head_number
        ]
        if not (has_mark and any(h in analysed for h in heads)):
            out.append(s)
    return out
