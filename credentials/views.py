"""Credential pages: the ladder, the AIDA exam (start, answer as you go, submit), a person's
credentials, and the public registry with certificates and signed credentials."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import login_required_page, request_user
from lib.errors import DomainError
from trustmarks.credentials import MEDIA_TYPE as VC_JWT_MEDIA_TYPE
from trustmarks.views import _cacheable

from . import certificate, services
from .bank import load_bank
from .models import ExamAttempt, PersonalCredential
from .selectors import (
    CREDENTIAL_NAMES,
    STATUS_WORDS,
    credential_get,
    credential_urls,
    credentials_of,
    linkedin_url,
    registry_search,
)

STATUS_PILL = {"active": "pill-ok", "suspended": "pill-warn", "revoked": "pill-bad", "expired": "pill-muted"}


def access_attempt_by_id(request: HttpRequest, attempt_id: str) -> ExamAttempt:
    """The requester's own attempt; any other id (someone else's, unknown, malformed) is 404."""
    try:
        public_id = uuid.UUID(str(attempt_id))
    except ValueError:
        raise Http404("No such attempt.") from None
    attempt = ExamAttempt.objects.filter(public_id=public_id, user=request_user(request)).first()
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt


def _public_credential(credential_id: str) -> PersonalCredential:
    credential = credential_get(credential_id=credential_id)
    if credential is None:
        raise Http404("No credential has this id.")
    return credential


# --- ladder and exam ----------------------------------------------------------------------------


@require_GET
def ladder(request: HttpRequest) -> HttpResponse:
    """The credential ladder: AIDA open now, CPAP and CPAA to come."""
    return render(request, "credentials/ladder.html", {"exam": load_bank().exam})


@login_required_page
@require_http_methods(["GET", "POST"])
def aida(request: HttpRequest) -> HttpResponse:
    """AIDA: what the exam is, the person's attempts, and the button that starts (or resumes) one."""
    user = request_user(request)
    bank = load_bank()
    if request.method == "POST":
        try:
            attempt = services.attempt_start(user=user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("credentials:aida")
        return redirect("credentials:attempt", attempt_id=attempt.public_id)
    at = services.retry_at(user, bank)
    context = {
        "bank": bank,
        "exam": bank.exam,
        "open_attempt": services.attempt_open_of(user),
        "attempts": ExamAttempt.objects.filter(user=user, submitted__isnull=False).order_by("-submitted")[
            :10
        ],
        "retry_at": at,
        "wait_message": services.wait_message(at) if at else "",
        "credentials": credentials_of(user=user),
    }
    return render(request, "credentials/aida.html", context)


def _attempt_rows(attempt: ExamAttempt, *, reveal: bool) -> list[dict[str, Any]]:
    bank = load_bank()
    rows = []
    for aq in attempt.questions.all():
        q = bank.question(aq.question_id)
        if q is None:
            continue
        options = [
            {
                "token": aq.option_tokens[shown],
                "text": q.options[original],
                "checked": aq.chosen == original,
                "correct": reveal and original == q.answer,
            }
            for shown, original in enumerate(aq.option_order)
        ]
        rows.append(
            {
                "position": aq.position,
                "domain": aq.domain,
                "stem": q.stem,
                "options": options,
                "answered": aq.chosen is not None,
                "ok": reveal and aq.chosen == q.answer,
                "explanation": q.explanation if reveal else "",
                "correct_text": q.options[q.answer] if reveal else "",
            }
        )
    return rows


@login_required_page
@require_GET
def attempt_page(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """An open attempt (questions, shuffled options carrying opaque tokens, answers so far) or,
    once submitted, the result with per-domain scores and explanations."""
    attempt = access_attempt_by_id(request, attempt_id)
    submitted = attempt.submitted is not None
    rows = _attempt_rows(attempt, reveal=submitted)
    credential = PersonalCredential.objects.filter(attempt=attempt).first()
    context = {
        "attempt": attempt,
        "rows": rows,
        "answered": sum(1 for r in rows if r["answered"]),
        "exam": load_bank().exam,
        "credential": credential,
        "urls": credential_urls(credential) if credential else None,
        "linkedin": linkedin_url(credential, organisation=settings.ISSUER_NAME) if credential else "",
        "default_name": request_user(request).name,
    }
    return render(request, "credentials/attempt.html", context)


def _answers_from(request: HttpRequest) -> dict[str, str]:
    """``q<position>`` fields of the form → the option token chosen (the last one, if repeated)."""
    answers: dict[str, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("q") and isinstance(value, str) and value:
            answers[key[1:]] = value
    return answers


@login_required_page
@require_POST
def attempt_answer(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """Save one or more answers (htmx sends one per click; without JavaScript the whole form)."""
    attempt = access_attempt_by_id(request, attempt_id)
    try:
        saved = services.attempt_answer(
            attempt=attempt, user=request_user(request), answers=_answers_from(request)
        )
    except DomainError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        return render(
            request,
            "credentials/refused.html",
            {"message": exc.message, "attempt": attempt},
            status=exc.status,
        )
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(f"Saved ({saved}).", content_type="text/plain; charset=utf-8")
    messages.success(request, "Your answers are saved.")
    return redirect("credentials:attempt", attempt_id=attempt.public_id)


@login_required_page
@require_POST
def attempt_submit(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """Save the answers in the form, then grade. Refusals go back to the page with the reason."""
    attempt = access_attempt_by_id(request, attempt_id)
    user = request_user(request)
    try:
        answers = _answers_from(request)
        if answers:
            services.attempt_answer(attempt=attempt, user=user, answers=answers)
        services.attempt_submit(
            attempt=attempt,
            user=user,
            holder_name=request.POST.get("holder_name", ""),
            listed=request.POST.get("listed") == "on",
        )
    except DomainError as exc:
        return render(
            request,
            "credentials/refused.html",
            {"message": exc.message, "attempt": attempt},
            status=exc.status,
        )
    return redirect("credentials:attempt", attempt_id=attempt.public_id)


# --- the holder's credentials -----------------------------------------------------------------


@login_required_page
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        {
            "credential": c,
            "status": c.effective_status(today),
            "urls": credential_urls(c),
            "linkedin": linkedin_url(c, organisation=settings.ISSUER_NAME),
        }
        for c in credentials_of(user=request_user(request))
    ]
    return render(request, "credentials/mine.html", {"rows": rows, "names": CREDENTIAL_NAMES})


@login_required_page
@require_POST
def listing(request: HttpRequest, credential_id: str) -> HttpResponse:
    credential = credential_get(credential_id=credential_id)
    if credential is None or credential.user_id != request.user.pk:
        raise Http404("No such credential.")
    listed = request.POST.get("listed") == "on"
    services.credential_set_listed(credential=credential, user=request_user(request), listed=listed)
    messages.success(
        request,
        f"{credential.credential_id} is {'now listed in' if listed else 'no longer listed in'} the registry "
        "search. It still verifies by its id.",
    )
    return redirect("credentials:mine")


# --- public: registry, certificate, credential ------------------------------------------------


@require_GET
def registry(request: HttpRequest) -> HttpResponse:
    """Search by exact credential id or exact name (listed holders only)."""
    query = request.GET.get("q", "").strip()[:200]
    results = registry_search(query=query) if query else []
    today = timezone.localdate()
    rows = [{"credential": c, "status": c.effective_status(today)} for c in results]
    return render(
        request, "credentials/registry.html", {"query": query, "rows": rows, "names": CREDENTIAL_NAMES}
    )


@require_GET
def registry_record(request: HttpRequest, credential_id: str) -> HttpResponse:
    credential = _public_credential(credential_id)
    status = credential.effective_status(timezone.localdate())
    context = {
        "credential": credential,
        "status": status,
        "status_words": STATUS_WORDS[status],
        "status_pill": STATUS_PILL[status],
        "valid": status == PersonalCredential.ACTIVE,
        "name": CREDENTIAL_NAMES.get(credential.kind, credential.kind),
        "urls": credential_urls(credential),
        "issuer_name": settings.ISSUER_NAME,
    }
    response = render(request, "credentials/record.html", context)
    if status != PersonalCredential.ACTIVE:
        response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def credential_jwt(request: HttpRequest, credential_id: str) -> HttpResponse:
    credential = _public_credential(credential_id)
    return _cacheable(
        request,
        credential.credential_jwt.encode("ascii"),
        VC_JWT_MEDIA_TYPE,
        filename=f"{credential.credential_id}.jwt",
    )


@require_GET
def certificate_pdf(request: HttpRequest, credential_id: str) -> HttpResponse:
    credential = _public_credential(credential_id)
    status = credential.effective_status(timezone.localdate())
    pdf = certificate.render_certificate_pdf(credential=credential, status=status)
    response = _cacheable(request, pdf, "application/pdf", filename=f"{credential.credential_id}.pdf")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
