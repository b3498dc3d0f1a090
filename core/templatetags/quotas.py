"""``{% job_usage %}``: the organisation's job quota usage, shown where jobs are started."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from core.quotas import job_usage as job_usage_of

register = template.Library()


@register.simple_tag(takes_context=True)
def job_usage(context: Any) -> str:
    """``<p class="job-usage">2 of 4 concurrent jobs running · 12 of 60 starts this hour</p>``."""
    organisation = context.get("active_organisation")
    if organisation is None:
        return ""
    usage = job_usage_of(organisation_id=organisation.pk)
    summary = usage.summary()
    if not summary:
        return ""
    return format_html(
        '<p class="job-usage{}" data-testid="job-usage">Your organisation’s jobs: {}{}</p>',
        " full" if usage.full else "",
        summary,
        " — at the limit, new jobs wait" if usage.full else "",
    )
