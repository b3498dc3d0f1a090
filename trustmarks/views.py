"""Trust-mark pages: the public verification record, badges and credential; assessors' lifecycle pages."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import NoReturn

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import assessor_required, conflict_of_interest, require_assessor
from accounts.branding import Branding, branding_for
from accounts.models import User
from lib.errors import DomainError
from psf.selectors import rubric_of
from trustmarks import badges, services, tlog
from trustmarks.credentials import MEDIA_TYPE as VC_JWT_MEDIA_TYPE

from .api.views import etag_for, etag_matches
from .forms import DecisionForm, ReasonForm, SurveillanceReviewForm
from .models import LifecycleRequest, TrustMark
from .selectors import (
    STATUS_WORDS,
    embed_snippet,
    lifecycle_requests_pending,
    mark_urls,
    parse_mark_id,
    trust_mark_get,
    trust_mark_public_history,
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
        "history": trust_mark_public_history(mark=mark, today=today),
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
        brand=document_brand(mark),
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


def document_brand(mark: TrustMark) -> Branding | None:
    """The branded header of the document badge: the organisation's branding, when it set one
    (PRODUCT.md §12). The web badges and the public record are never branded."""
    org = mark.organisation
    if not (org.brand_name or org.brand_colour or org.brand_logo_type):
        return None
    return branding_for(org)


def _brand_key(mark: TrustMark, fmt: str) -> str:
    brand = document_brand(mark) if fmt == "pdf" else None
    if brand is None:
        return "-"
    return hashlib.sha256(f"{brand.name}\n{brand.colour}\n{brand.logo_data_uri}".encode()).hexdigest()[:16]


@require_GET
def badge(request: HttpRequest, mark_id: str, fmt: str) -> HttpResponse:
    """A web (SVG, PNG) or document (PDF) badge, showing the mark's current status."""
    mark = _public_mark(mark_id)
    status = mark.effective_status()
    # Rendering a PDF takes a while; cache each rendition until the mark changes.
    key = (
        f"trustmarks:badge:v1:{mark.number}:{fmt}:{status}:{mark.updated.timestamp()}:{mark.credential_kid}"
        f":{_brand_key(mark, fmt)}"
    )
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
            "pending": lifecycle_requests_pending(),
            "pills": STATUS_PILL,
            "today": today,
        },
    )


def _assessor_mark(request: HttpRequest, mark_id: str, *, attempted: str = "") -> tuple[User, TrustMark]:
    """An assessor's view of a mark: 404 for an unknown id, 403 (with the reason) for an assessor
    with a conflict of interest: the page shows confidential reasons and review notes. A refused
    action (``attempted``, on POST) is logged like the services' own refusals."""
    actor = require_assessor(request)
    mark = _public_mark(mark_id)
    conflict = conflict_of_interest(actor, mark.organisation)
    if conflict:
        _refuse(request, actor, mark, f"{conflict}, so you cannot manage its trust mark.", attempted)
    return actor, mark


def _refuse(request: HttpRequest, actor: User, mark: TrustMark, message: str, attempted: str) -> NoReturn:
    if request.method == "POST" and attempted:
        services.trust_mark_refusal_record(
            mark=mark, actor=actor, attempted=attempted, code="lifecycle_refused", message=message
        )
    raise PermissionDenied(message)


def _refused_or_flash(request: HttpRequest, exc: DomainError) -> None:
    """A rule's refusal is a 403 page naming the reason; anything else (a missing reason, a state
    that changed meanwhile) goes back to the page as a message."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    messages.error(request, exc.message)


ACTION_DOING = {
    "suspend": "suspend it",
    "reinstate": "ask to reinstate it",
    "revoke": "ask to revoke it",
    "renew": "renew it",
}


@require_GET
@assessor_required
def manage(request: HttpRequest, mark_id: str) -> HttpResponse:
    actor, mark = _assessor_mark(request, mark_id)
    today = timezone.localdate()
    status = mark.effective_status(today)
    pending = mark.requests.filter(state=LifecycleRequest.PENDING).select_related("requested_by").first()
    by_state = {
        "suspend": status == TrustMark.ACTIVE,
        "reinstate": status == TrustMark.SUSPENDED and pending is None,
        "revoke": mark.status != TrustMark.REVOKED and pending is None,
        "renew": status in (TrustMark.ACTIVE, TrustMark.EXPIRED) and mark.status != TrustMark.REVOKED,
    }
    rule = services.lifecycle_refusal_for(actor, mark, doing="act on it")
    renew_blocked = services.renewal_refusal(mark) if by_state["renew"] else ""
    actions = [name for name, allowed in by_state.items() if allowed]
    return render(
        request,
        "trustmarks/manage.html",
        {
            "mark": mark,
            "status": status,
            "status_pill": STATUS_PILL[status],
            "events": mark.events.select_related("actor", "request__requested_by").all(),
            "actions": [] if rule else [a for a in actions if not (a == "renew" and renew_blocked)],
            "rule_refusal": rule,
            "renew_blocked": renew_blocked if not rule else "",
            "can_review": not rule and mark.status != TrustMark.REVOKED,
            "pending": pending,
            "pending_mine": pending is not None and pending.requested_by_id == actor.pk,
            "approval_refusal": services.approval_refusal_for(actor, pending) if pending else "",
            "requests": mark.requests.exclude(state=LifecycleRequest.PENDING).select_related(
                "requested_by", "decided_by"
            )[:20],
            "reviews": mark.reviews.select_related("reviewer")[:5],
            "assessor": services.mark_assessor(mark),
            "form": ReasonForm(),
            "decision_form": DecisionForm(),
            "urls": mark_urls(mark),
            "snippet": embed_snippet(mark),
            "review_due": mark.review_due(today),
        },
    )


TRANSITIONS = {
    "suspend": (services.trust_mark_suspend, "suspended"),
    "reinstate": (
        services.trust_mark_request_reinstate,
        "reinstatement requested: it takes effect when a second assessor approves it",
    ),
    "revoke": (
        services.trust_mark_request_revoke,
        "revocation requested: it takes effect when a second assessor approves it",
    ),
    "renew": (services.trust_mark_renew, "renewed for a new validity period"),
}


@require_POST
@assessor_required
def transition(request: HttpRequest, mark_id: str, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        raise Http404("No such action.")
    actor, mark = _assessor_mark(request, mark_id, attempted=action)
    service, done = TRANSITIONS[action]
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the reason for this change (it is kept in the mark's history).")
        return redirect("trustmarks:manage", mark_id=mark.mark_id)
    try:
        service(mark=mark, actor=actor, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        _refused_or_flash(request, exc)
    else:
        messages.success(request, f"{mark.mark_id} {done}.")
    return redirect("trustmarks:manage", mark_id=mark.mark_id)


@require_POST
@assessor_required
def request_decision(request: HttpRequest, mark_id: str, request_id: int, decision: str) -> HttpResponse:
    """Approve, or reject (withdraw, for the assessor who asked), a pending revocation or
    reinstatement of the mark."""
    actor, mark = _assessor_mark(request, mark_id)
    change = (
        LifecycleRequest.objects.select_related("trust_mark", "requested_by")
        .filter(pk=request_id, trust_mark=mark)
        .first()
    )
    if change is None or decision not in ("approve", "reject"):
        raise Http404("No such request.")
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "approve":
            services.trust_mark_request_approve(request=change, actor=actor, note=note)
        else:
            services.trust_mark_request_reject(request=change, actor=actor, note=note)
    except DomainError as exc:
        _refused_or_flash(request, exc)
    else:
        if decision == "approve":
            word = "revoked" if change.action == LifecycleRequest.REVOKE else "reinstated"
            messages.success(request, f"Approved: {mark.mark_id} is {word}.")
        elif change.requested_by_id == actor.pk:
            messages.success(request, "You withdrew your request.")
        else:
            messages.success(request, "Request rejected; the mark's status is unchanged.")
    return redirect("trustmarks:manage", mark_id=mark.mark_id)


@require_http_methods(["GET", "POST"])
@assessor_required
def review(request: HttpRequest, mark_id: str) -> HttpResponse:
    """The annual surveillance review form (a renewal needs one)."""
    actor, mark = _assessor_mark(request, mark_id, attempted="review")
    refusal = services.lifecycle_refusal_for(actor, mark, doing="review it")
    if refusal:
        _refuse(request, actor, mark, refusal, "review")
    if mark.status == TrustMark.REVOKED:
        messages.error(request, f"{mark.mark_id} is revoked; it has no surveillance review.")
        return redirect("trustmarks:manage", mark_id=mark.mark_id)
    names = {d.code: d.name for d in rubric_of(mark.rubric_version).domains}
    form = SurveillanceReviewForm(request.POST or None, scores=mark.scores, names=names)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.trust_mark_review(
                    mark=mark,
                    actor=actor,
                    evidence_valid=form.cleaned_data["evidence_valid"],
                    scores=form.scores(),
                    notes=form.cleaned_data["notes"],
                )
            except DomainError as exc:
                if exc.status == 403:
                    raise PermissionDenied(exc.message) from None
                form.add_error(None, exc.message)
                status = 400 if exc.status < 500 else exc.status
            else:
                messages.success(request, f"Surveillance review of {mark.mark_id} recorded.")
                return redirect("trustmarks:manage", mark_id=mark.mark_id)
        else:
            status = 400
    return render(request, "trustmarks/review.html", {"mark": mark, "form": form}, status=status)
