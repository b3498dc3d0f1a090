"""The launch pack and monthly governance report of one client, as pages and as PDFs.

Access: any member of the client organisation (``access_client_organisation``); everyone else
404. The PDFs are rendered in the request: a realistic client's pack lays out in well under the
one-second budget (see bench/launch_pack_pdf.py), so a background job would only add waiting.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import access_client_organisation, login_required_page, request_user
from lib.pdf import render_pdf, static_base_url

from .launchpack import (
    LaunchPack,
    MonthlyReport,
    launch_pack_for,
    month_start,
    monthly_report_for,
    previous_month,
)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_LAYOUT_WHITESPACE = re.compile(r">\s*\n\s*<")


def _pdf_response(html: str, filename: str) -> HttpResponse:
    # Indentation between tags would be laid out as empty text boxes (as evidence packs do).
    rendered = render_pdf(_LAYOUT_WHITESPACE.sub("><", html), base_url=static_base_url())
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _pack_context(pack: LaunchPack) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "pack": pack,
        "brand": pack.client,
        "this_month": month_start(today),
        "last_month": previous_month(today),
    }


def launch_pack_pdf_html(pack: LaunchPack) -> str:
    return render_to_string("msp/launchpack/pack_pdf.html", _pack_context(pack))


def monthly_report_pdf_html(report: MonthlyReport) -> str:
    return render_to_string("msp/launchpack/monthly_pdf.html", {"r": report, "brand": report.client})


@require_GET
@login_required_page
def launch_pack_page(request: HttpRequest, slug: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    pack = launch_pack_for(organisation=m.organisation, user=request_user(request))
    return render(request, "msp/launchpack/pack.html", _pack_context(pack))


@require_GET
@login_required_page
def launch_pack_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    pack = launch_pack_for(organisation=m.organisation, user=request_user(request))
    return _pdf_response(
        launch_pack_pdf_html(pack), f"{pack.slug}-launch-pack-{pack.generated:%Y-%m-%d}.pdf"
    )


def _month(value: str) -> date:
    """The month of a ``yyyy-mm`` address: 404 unless it is a real month, not in the future."""
    match = _MONTH.fullmatch(value)
    if match is None:
        raise Http404("Give the month as yyyy-mm.")
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and year >= 2000):
        raise Http404("No such month.")
    first = date(year, month, 1)
    if first > timezone.localdate():
        raise Http404("This month has not begun yet.")
    return first


@require_GET
@login_required_page
def monthly_report_page(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    report = monthly_report_for(organisation=m.organisation, month=_month(month), user=request_user(request))
    return render(request, "msp/launchpack/monthly.html", {"r": report, "brand": report.client})


@require_GET
@login_required_page
def monthly_report_pdf(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    report = monthly_report_for(organisation=m.organisation, month=_month(month), user=request_user(request))
    return _pdf_response(monthly_report_pdf_html(report), f"{report.slug}-governance-report-{report.key}.pdf")
