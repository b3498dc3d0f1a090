"""Rendering helpers of the Clients overview (a page that may list a thousand workflows)."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from msp.clients import WorkflowScore

register = template.Library()


@register.simple_tag
def workflow_score_rows(workflows: Sequence[WorkflowScore]) -> SafeString:
    """The rows of a client's "latest analyses" table, every name escaped (format_html). Built
    here rather than with template tags per row: the overview's render time is mostly this."""
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th><td class="num">{}</td></tr>',
        (
            (
                w.name,
                format_html(
                    '<span class="pill {}">{}</span>', "pill-ok" if w.passed else "pill-warn", w.score_text
                )
                if w.score is not None
                else format_html('<span class="muted">{}</span>', "not analysed"),
            )
            for w in workflows
        ),
    )
