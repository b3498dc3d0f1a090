"""Dashboard summary of the organisation path: posture, uncovered high-risk systems, overdue
actions."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Organisation

register = template.Library()


@register.simple_tag
def governance_summary(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    from django.utils import timezone

    from governance.models import AISystem, ImprovementAction, Pai8Assessment
    from governance.selectors import high_risk_without_cover

    latest = (
        Pai8Assessment.objects.filter(organisation=organisation)
        .exclude(status=Pai8Assessment.DRAFT)
        .order_by("-completed_at", "-pk")
        .first()
    )
    audited = latest is not None and latest.status == Pai8Assessment.AUDITED
    return {
        "latest": latest,
        "posture": (latest.audited_posture_level if audited else latest.posture_level) if latest else None,
        "audited": audited,
        "systems": AISystem.objects.filter(organisation=organisation).count(),
        "uncovered": high_risk_without_cover(organisation=organisation),
        "overdue": list(
            ImprovementAction.objects.filter(organisation=organisation, due__lt=timezone.localdate())
            .exclude(status=ImprovementAction.DONE)
            .order_by("due")[:5]
        ),
    }
