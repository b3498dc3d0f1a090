"""The confidential gap report of a failed assessment, as a page and as a PDF.

The PDF is rendered by WeasyPrint through ``trustmarks.badges.html_to_pdf``, whose URL fetcher
refuses every URL, from a template with autoescaping on: nothing a person typed can fetch a
resource or inject markup.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.branding import branding_for

from .models import Assessment
from .services import rubric_for


def gap_report_context(a: Assessment) -> dict[str, Any]:
    rubric = rubric_for(a)
    report = a.gap_report
    domains = []
    for d in rubric.domains:
        threshold = rubric.pass_rule.threshold_for(d.code)
        score = a.domain_scores.get(d.code)
        domains.append(
            {
                "code": d.code,
                "name": d.name,
                "score": score,
                "threshold": threshold,
                "met": score is not None and score >= threshold,
            }
        )
    return {
        "a": a,
        "report": report,
        "rows": report.content,
        "domains": domains,
        "reasons": a.decision_reasons,
        "rubric": rubric,
        "reassessment": Assessment.objects.filter(reassessment_of=a).first(),
        "generated": timezone.now(),
        "issuer": settings.ISSUER_NAME,
        # The organisation's branding heads the report (PRODUCT.md §12); the issuer line stays.
        "brand": branding_for(a.organisation),
    }


def gap_report_html(a: Assessment) -> str:
    return render_to_string("pdf/gap_report.html", gap_report_context(a))


def gap_report_pdf_bytes(a: Assessment) -> bytes:
    from trustmarks.badges import html_to_pdf

    context = gap_report_context(a)
    logo = context["brand"].logo_data_uri
    pdf, _refused = html_to_pdf(
        render_to_string("pdf/gap_report.html", context), inline_images=[logo] if logo else ()
    )
    return pdf
