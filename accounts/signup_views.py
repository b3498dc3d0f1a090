"""Sign-up (WORKFLOWOS_SIGNUP), e-mail verification, the first choice after it, and a person's own
data: export and account deletion."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.audit import audit_event_append
from lib.errors import DomainError

from .access import login_required_page, request_user, switch_organisation
from .forms import DeleteAccountForm, SignUpForm, WelcomeForm
from .services.account import account_data_export, account_delete, account_deletion_preview
from .services.signup import (
    SIGNUP_CLOSED,
    SIGNUP_OPEN,
    VerificationInvalid,
    email_verification_check,
    email_verification_send,
    email_verify,
    signup_mode,
    signup_organisation_create,
    user_sign_up,
)
from .throttle import signup_throttled

SIGNUP_EMAIL_KEY = "_wfos_signup_email"
THROTTLED = "Too many sign-up attempts from here or for this address. Wait an hour and try again."
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _legal_links() -> dict[str, str]:
    return {"terms_url": settings.WORKFLOWOS_TERMS_URL, "privacy_url": settings.WORKFLOWOS_PRIVACY_URL}


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    mode = signup_mode()
    if mode == SIGNUP_CLOSED:
        raise Http404("Sign-up is closed on this instance.")
    if mode != SIGNUP_OPEN:
        return render(
            request, "accounts/sign_up_invite_only.html", status=403 if request.method == "POST" else 200
        )
    if request.user.is_authenticated and request.method == "GET":
        return redirect("core:dashboard")
    links = _legal_links()
    needs_agreement = bool(links["terms_url"] or links["privacy_url"])
    form = SignUpForm(request.POST or None, needs_agreement=needs_agreement)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"].strip().lower()
            if signup_throttled(request, email):
                form.add_error(None, THROTTLED)
                status = 429
            else:
                try:
                    user_sign_up(
                        email=email, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
                    )
                except DomainError as exc:
                    for item in exc.errors:
                        form.add_error(item.path if item.path in form.fields else None, item.message)
                    if not exc.errors:
                        form.add_error(None, exc.message)
                else:
                    # The same answer for a new and a registered address; only this browser may
                    # be signed in by the link it is sent (see verify_email).
                    request.session[SIGNUP_EMAIL_KEY] = email
                    return redirect("accounts:sign_up_sent")
    response = render(request, "accounts/sign_up.html", {"form": form, **links}, status=status)
    if status == 429:
        response["Retry-After"] = "3600"
    return response


@require_GET
def sign_up_sent(request: HttpRequest) -> HttpResponse:
    if signup_mode() == SIGNUP_CLOSED:
        raise Http404("Sign-up is closed on this instance.")
    return render(request, "accounts/sign_up_sent.html", {"email": request.session.get(SIGNUP_EMAIL_KEY, "")})


@require_GET
@login_required_page
def verify_pending(request: HttpRequest) -> HttpResponse:
    """Where an unverified account is kept (accounts.middleware.EmailVerificationMiddleware)."""
    user = request_user(request)
    if user.is_email_verified:
        return redirect("core:dashboard")
    return render(request, "accounts/verify_pending.html")


@require_POST
@login_required_page
def verify_resend(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if user.is_email_verified:
        return redirect("core:dashboard")
    if signup_throttled(request, user.email):
        messages.error(request, "Too many e-mails sent to this address. Wait an hour and try again.")
    else:
        email_verification_send(user=user)
        messages.success(
            request, f"We sent a new link to {user.email}. Earlier links still work until one is used."
        )
    return redirect("accounts:verify_pending")


def _verification_invalid(request: HttpRequest, exc: VerificationInvalid) -> HttpResponse:
    return render(request, "accounts/verify_invalid.html", {"message": exc.message}, status=exc.status)


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification e-mail: GET shows a button (mail scanners that follow links
    must not use it up), POST verifies. The browser that signed up (or the account's own
    session) is signed in; any other browser is asked to sign in."""
    try:
        user = email_verification_check(token)
        if request.method == "GET":
            return render(request, "accounts/verify_confirm.html", {"email": user.email})
        user = email_verify(token=token)
    except VerificationInvalid as exc:
        return _verification_invalid(request, exc)
    same_session = request.user.is_authenticated and request.user.pk == user.pk
    if not same_session and request.session.get(SIGNUP_EMAIL_KEY) == user.email.lower():
        if request.user.is_authenticated:
            logout(request)
        login(request, user, backend=BACKEND)
        same_session = True
    request.session.pop(SIGNUP_EMAIL_KEY, None)
    if same_session:
        messages.success(request, "Your e-mail address is verified.")
        return redirect("accounts:welcome")
    return render(request, "accounts/verify_done.html", {"email": user.email})


@require_http_methods(["GET", "POST"])
@login_required_page
def welcome(request: HttpRequest) -> HttpResponse:
    """After verifying: create an organisation (and become its admin) or stay a personal account."""
    if signup_mode() != SIGNUP_OPEN:
        raise Http404("Organisations are created by the platform admin on this instance.")
    user = request_user(request)
    form = WelcomeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if form.cleaned_data["choice"] == "personal":
                messages.success(
                    request, "You have a personal account. You can create or join an organisation later."
                )
                return redirect("core:dashboard")
            try:
                membership = signup_organisation_create(user=user, name=form.cleaned_data["name"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                switch_organisation(request, membership.organisation_id)
                messages.success(request, f"{membership.organisation.name} is ready: you are its admin.")
                return redirect("core:dashboard")
    return render(request, "accounts/welcome.html", {"form": form}, status=status)


@require_GET
@login_required_page
def export(request: HttpRequest) -> HttpResponse:
    """Download everything about yourself as JSON (no secrets: token hashes and the password hash
    are never included)."""
    user = request_user(request)
    data = account_data_export(user=user)
    audit_event_append(
        action="user.data_exported", object_type="user", object_id=user.pk, actor_email=user.email
    )
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="workflowos-account-{user.pk}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required_page
def delete(request: HttpRequest) -> HttpResponse:
    """Delete your account (current password required). Refused, with the reason, while you are
    the last admin of an organisation that others or its content depend on."""
    user = request_user(request)
    form = DeleteAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                deleted_orgs = account_delete(user=user, password=form.cleaned_data["password"])
            except DomainError as exc:
                for item in exc.errors:
                    form.add_error(item.path if item.path in form.fields else None, item.message)
                if not exc.errors:
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                # The user and their session rows are gone: end this session without logout()'s
                # signal, which would look the (deleted) user's session row up.
                request.session.flush()
                request.user = AnonymousUser()
                note = f" The organisation {', '.join(deleted_orgs)} went with it." if deleted_orgs else ""
                messages.info(request, "Your account was deleted." + note)
                return redirect("core:landing")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form, "blockers": account_deletion_preview(user=user), "tab": "delete"},
        status=status,
    )
