"""The launch pack and monthly governance report of one client, as pages and as PDFs.

Access: any member of the client organisation (``access_client_organisation``); everyone else
404. The PDFs are rendered by a worker (``msp.pdf_jobs``: a realistic client's launch pack takes
several seconds to lay out); the page asks for one with a POST and polls its status.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import access_client_organisation, login_required_page, request_user
from accounts.models import Membership
from lib import artefacts
from lib.errors import DomainError

from .launchpack import LaunchPack, launch_pack_for, month_start, monthly_report_for, previous_month
from .models import PdfRender
from .pdf_jobs import PDF_DIR, pdf_render_request, pdf_render_status

_MONTH = re.compile(r"(\d{4})-(\d{2})")
POLL_SECONDS = 1


def _pack_context(pack: LaunchPack) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "pack": pack,
        "brand": pack.client,
        "this_month": month_start(today),
        "last_month": previous_month(today),
    }


@require_GET
@login_required_page
def launch_pack_page(request: HttpRequest, slug: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    pack = launch_pack_for(organisation=m.organisation, user=request_user(request))
    return render(request, "msp/launchpack/pack.html", _pack_context(pack))


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


def _queue(request: HttpRequest, m: Membership, kind: str, month: date | None = None) -> HttpResponse:
    try:
        job = pdf_render_request(
            organisation=m.organisation, user=request_user(request), kind=kind, month=month
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("msp:launch-pack", slug=m.organisation.slug)
    return redirect("msp:pdf", slug=m.organisation.slug, render_id=job.pk)


@require_POST
@login_required_page
def launch_pack_pdf_request(request: HttpRequest, slug: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    return _queue(request, m, PdfRender.LAUNCH_PACK)


@require_POST
@login_required_page
def monthly_report_pdf_request(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    m = access_client_organisation(request, slug)
    return _queue(request, m, PdfRender.MONTHLY_REPORT, _month(month))


def _render_of(request: HttpRequest, slug: str, render_id: int) -> PdfRender:
    """A PDF render of the client ``slug`` (its members only; any other id answers 404)."""
    m = access_client_organisation(request, slug)
    job = (
        PdfRender.objects.select_related("organisation")
        .filter(pk=render_id, organisation=m.organisation)
        .first()
    )
    if job is None:
        raise Http404("No such PDF.")
    return job


@require_GET
@login_required_page
def pdf_status(request: HttpRequest, slug: str, render_id: int) -> HttpResponse:
    """A PDF's status; while it renders, htmx polls the panel every second."""
    job = pdf_render_status(job=_render_of(request, slug, render_id))
    ctx = {"job": job, "poll_seconds": POLL_SECONDS, "brand_slug": slug}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "msp/launchpack/_pdf_status_panel.html", ctx)
    return render(request, "msp/launchpack/pdf_status.html", ctx)


@require_GET
@login_required_page
def pdf_download(request: HttpRequest, slug: str, render_id: int) -> HttpResponse:
    job = _render_of(request, slug, render_id)
    if job.status != PdfRender.DONE:
        raise Http404("This PDF is not ready.")
    try:
        fh = artefacts.open_verified(PDF_DIR, job.pdf_name, sha256=job.pdf_sha256)
    except DomainError as exc:
        if exc.code in ("not_found", "artefact_missing"):
            raise Http404("The file of this PDF is missing.") from None
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response: HttpResponse = FileResponse(  # type: ignore[assignment]
        fh, as_attachment=True, filename=job.filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
