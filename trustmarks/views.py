"""Trust-mark pages: the public verification record, badges and credential; assessors' lifecycle pages."""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import assessor_required, require_assessor
from lib.errors import DomainError
from psf.selectors import rubric_of
from trustmarks import badges, services, tlog
from trustmarks.credentials import MEDIA_TYPE as VC_JWT_MEDIA_TYPE

from .api.views import etag_for, etag_matches
from .forms import ReasonForm
from .models import TrustMark
from .selectors import (
    STATUS_WORDS,
    embed_snippet,
    mark_urls,
    parse_mark_id,
    trust_mark_get,
    trust_marks_list,
    trust_marks_review_due,
)
from .signing import public_url

log = logging.getLogger(__name__)

BADGE_MAX_AGE = 300
BADGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"
STATUS_PILL = {
    TrustMark.ACTIVE: "pill-ok",
    TrustMark.SUSPENDED: "pill-warn",
    TrustMark.REVOKED: "pill-bad",
    TrustMark.EXPIRED: "pill-muted",
}


def _public_mark(mark_id: str) -> TrustMark:
    mark = trust_mark_get(mark_id=mark_id)
    if mark is None:
        raise Http404("No trust mark has this id.")
    return mark


def _cacheable(request: HttpRequest, body: bytes, content_type: str, *, filename: str) -> HttpResponse:
    """A public, briefly cacheable file with an ETag (304 when unchanged)."""
    etag = etag_for(body)
    if etag_matches(request, etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={BADGE_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- public -------------------------------------------------------------------------------------


@require_GET
def record(request: HttpRequest, mark_id: str) -> HttpResponse:
    """The public verification record: only what the verify API also says, explained."""
    number = parse_mark_id(mark_id)
    try:
        checked = (
            tlog.mark_check(f"TM-{number:05d}", lambda: trust_mark_get(mark_id=mark_id))
            if number is not None
            else None
        )
    except tlog.LogIntegrityError as exc:
        log.error("record %s: transparency-log check failed: %s", mark_id, exc)
        response = render(
            request,
            "trustmarks/record_unverifiable.html",
            {"mark_id": f"TM-{number:05d}", "public_base_url": settings.PUBLIC_URL},
            status=409,
        )
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response
    if checked is None:
        raise Http404("No trust mark has this id.")
    mark = checked
    today = timezone.localdate()
    status = mark.effective_status(today)
    rubric = rubric_of(mark.rubric_version)
    names = {d.code: d.name for d in rubric.domains}
    context = {
        "mark": mark,
        "status": status,
        "status_words": STATUS_WORDS[status],
        "status_pill": STATUS_PILL[status],
        "valid": status == TrustMark.ACTIVE,
        "noindex": status != TrustMark.ACTIVE,
        "scores": [(code, names.get(code, code), score) for code, score in mark.scores.items()],
        "rubric_key": rubric.key,
        "issuer_name": settings.ISSUER_NAME,
        "urls": mark_urls(mark),
        "jwks_url": public_url("/.well-known/jwks.json"),
        "verify_api_url": public_url(f"/api/certify/trust-mark/verify?id={mark.mark_id}"),
        "log_head_url": public_url("/api/certify/log/head"),
        "log_checkpoint_url": public_url("/api/certify/log/checkpoint"),
        "public_base_url": settings.PUBLIC_URL,
    }
    response = render(request, "trustmarks/record.html", context)
    if status != TrustMark.ACTIVE:
        response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "public, max-age=300"
    return response


BADGE_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def render_badge(mark: TrustMark, status: str, fmt: str) -> bytes:
    """One badge rendition of ``mark`` from the fixed templates (every field escaped there)."""
    verify_url = mark_urls(mark)["record_url"]
    psf_version = f"v{mark.rubric_version.version}"
    if fmt == "svg":
        return badges.render_badge_svg(
            mark_id=mark.mark_id,
            company=mark.company_name,
            status=status,
            valid_until=mark.expires,
            psf_version=psf_version,
            verify_url=verify_url,
            credential_jwt=mark.credential_jwt,
        ).encode("utf-8")
    if fmt == "png":
        return badges.render_badge_png(
            mark_id=mark.mark_id,
            company=mark.company_name,
            status=status,
            valid_until=mark.expires,
            psf_version=psf_version,
            verify_url=verify_url,
            credential_jwt=mark.credential_jwt,
        )
    return badges.render_badge_pdf(
        mark_id=mark.mark_id,
        company=mark.company_name,
        status=status,
        valid_until=mark.expires,
        psf_version=psf_version,
        verify_url=verify_url,
        credential_jwt=mark.credential_jwt,
        domains=mark.domains,
        scores=mark.scores,
        issued=mark.issued,
        issuer_name=settings.ISSUER_NAME,
    )


@require_GET
def badge(request: HttpRequest, mark_id: str, fmt: str) -> HttpResponse:
    """A web (SVG, PNG) or document (PDF) badge, showing the mark's current status."""
    mark = _public_mark(mark_id)
    status = mark.effective_status()
    # Rendering a PDF takes a while; cache each rendition until the mark changes.
    key = f"trustmarks:badge:v1:{mark.number}:{fmt}:{status}:{mark.updated.timestamp()}:{mark.credential_kid}"
    try:
        body = cache.get(key)
    except Exception:  # a cache (Redis) outage costs a re-render, never the badge
        log.warning("badge cache unavailable", exc_info=True)
        body = None
    if not isinstance(body, bytes):
        body = render_badge(mark, status, fmt)
        with contextlib.suppress(Exception):
            cache.set(key, body, timeout=24 * 3600)
    response = _cacheable(request, body, BADGE_TYPES[fmt], filename=f"{mark.mark_id}-badge.{fmt}")
    if fmt in ("svg", "pdf"):
        response["Content-Security-Policy"] = BADGE_CSP
    return response


@require_GET
def credential(request: HttpRequest, mark_id: str) -> HttpResponse:
    """The signed Open Badges 3.0 credential of the mark's current validity period."""
    mark = _public_mark(mark_id)
    return _cacheable(
        request, mark.credential_jwt.encode("ascii"), VC_JWT_MEDIA_TYPE, filename=f"{mark.mark_id}.jwt"
    )


# --- assessors ----------------------------------------------------------------------------------


@require_GET
@assessor_required
def assessor_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in STATUS_PILL else ""
    today = timezone.localdate()
    marks = trust_marks_list(status=status or None, today=today)
    rows = [(m, m.effective_status(today)) for m in marks]
    return render(
        request,
        "trustmarks/assessor_list.html",
        {
            "rows": rows,
            "status": status,
            "statuses": TrustMark.STATUSES,
            "review_due": trust_marks_review_due(today=today),
            "pills": STATUS_PILL,
            "today": today,
        },
    )


@require_GET
@assessor_required
def manage(request: HttpRequest, mark_id: str) -> HttpResponse:
    mark = _public_mark(mark_id)
    today = timezone.localdate()
    status = mark.effective_status(today)
    actions = {
        "suspend": status == TrustMark.ACTIVE,
        "reinstate": status == TrustMark.SUSPENDED,
        "revoke": mark.status != TrustMark.REVOKED,
        "renew": status in (TrustMark.ACTIVE, TrustMark.EXPIRED) and mark.status != TrustMark.REVOKED,
    }
    return render(
        request,
        "trustmarks/manage.html",
        {
            "mark": mark,
            "status": status,
            "status_pill": STATUS_PILL[status],
            "events": mark.events.select_related("actor").all(),
            "actions": [name for name, allowed in actions.items() if allowed],
            "form": ReasonForm(),
            "urls": mark_urls(mark),
            "snippet": embed_snippet(mark),
            "review_due": mark.review_due(today),
        },
    )


TRANSITIONS = {
    "suspend": (services.trust_mark_suspend, "suspended"),
    "reinstate": (services.trust_mark_reinstate, "reinstated"),
    "revoke": (services.trust_mark_revoke, "revoked"),
    "renew": (services.trust_mark_renew, "renewed for a new validity period"),
}


@require_POST
@assessor_required
def transition(request: HttpRequest, mark_id: str, action: str) -> HttpResponse:
    actor = require_assessor(request)
    mark = _public_mark(mark_id)
    if action not in TRANSITIONS:
        raise Http404("No such action.")
    service, done = TRANSITIONS[action]
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the reason for this change (it is kept in the mark's history).")
        return redirect("trustmarks:manage", mark_id=mark.mark_id)
    try:
        service(mark=mark, actor=actor, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{mark.mark_id} {done}.")
    return redirect("trustmarks:manage", mark_id=mark.mark_id)
