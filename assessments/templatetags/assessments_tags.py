"""Template helpers for assessment pages and the dashboard panels."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import is_assessor
from psf.rubric import EVIDENCE_TYPE_LABELS

from ..selectors import STATUS_PILLS, activity_for_organisation, assessment_list, assessor_summary, sla_due_of

register = template.Library()


@register.filter
def status_pill(status: str) -> str:
    return STATUS_PILLS.get(status, "pill-muted")


@register.filter
def due_of(assessment: Any) -> Any:
    return sla_due_of(assessment)


@register.filter
def evidence_label(code: str) -> str:
    return EVIDENCE_TYPE_LABELS.get(code, code)


@register.filter
def getitem(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def filesize_mb(size: int | None) -> str:
    if not size:
        return "0 KB"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@register.inclusion_tag("assessments/_dashboard_panel_body.html", takes_context=True)
def assessments_panel(context: Any) -> dict[str, Any]:
    """The organisation dashboard's assessment panel: recent assessments and the activity feed."""
    org = context.get("active_organisation")
    membership = context.get("active_membership")
    if org is None:
        return {"org": None}
    assessments = list(assessment_list(organisation=org)[:3])
    rows = [{"a": a, "due": sla_due_of(a)} for a in assessments]
    return {
        "org": org,
        "rows": rows,
        "is_admin": bool(membership and membership.is_admin),
        "has_open": any(a.is_open for a in assessments),
        "activity": activity_for_organisation(organisation=org, limit=6),
    }


@register.inclusion_tag("assessments/_dashboard_assessor_body.html", takes_context=True)
def assessor_panel(context: Any) -> dict[str, Any]:
    user = context.get("user")
    if user is None or not is_assessor(user):
        return {"show": False}
    return {"show": True, "summary": assessor_summary(user=user)}
