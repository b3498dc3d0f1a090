"""Template tags for the trust-mark panels included in the dashboards."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from trustmarks.selectors import (
    embed_snippet,
    lifecycle_requests_pending,
    mark_urls,
    trust_marks_of,
    trust_marks_review_due,
)

register = template.Library()


@register.simple_tag
def organisation_trust_marks(organisation: Any) -> list[dict[str, Any]]:
    """The organisation's marks with their current status, badge URLs and embed snippet."""
    if organisation is None:
        return []
    today = timezone.localdate()
    return [
        {
            "mark": mark,
            "status": mark.effective_status(today),
            "urls": mark_urls(mark),
            "snippet": embed_snippet(mark),
            "review_due": mark.review_due(today),
        }
        for mark in trust_marks_of(organisation=organisation)
    ]


@register.simple_tag
def trust_marks_due_for_review() -> list[Any]:
    return trust_marks_review_due()


@register.simple_tag
def trust_mark_requests_pending() -> list[Any]:
    return lifecycle_requests_pending()
