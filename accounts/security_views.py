"""Your account: password (change, reset), sessions, API tokens."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import get_usage

from core.audit import audit_event_append
from lib.errors import DomainError
from lib.http import client_ip

from .access import login_required_page, request_user
from .emails import email_after_commit
from .forms import TokenForm
from .middleware import SESSION_ROW_KEY
from .models import ApiToken, UserSession
from .selectors import api_tokens_of, device_label, user_sessions_open
from .services.sessions import session_idle_timeout, user_session_end, user_sessions_end_all
from .services.tokens import api_token_issue, api_token_revoke, may_issue_unlimited_tokens

log = logging.getLogger(__name__)
RESET_THROTTLED = "Too many password-reset requests. Wait an hour and try again."


@require_GET
@login_required_page
def account(request: HttpRequest) -> HttpResponse:
    return redirect("account:sessions")


# --- passwords ------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (current password required, validators in force); keeps this session,
    ends the others (Django rotates the session hash) and tells the owner by e-mail."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account:sessions")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = request_user(self.request)
        row = self.request.session.get(SESSION_ROW_KEY)
        user_sessions_end_all(user=user, except_pk=row)
        audit_event_append(
            action="password.changed", object_type="user", object_id=user.pk, actor_email=user.email
        )
        email_after_commit(
            to=user.email,
            template="password_changed",
            context={"recipient": user, "how": "changed", "when": timezone.now()},
        )
        messages.success(self.request, "Your password was changed. Your other sessions were signed out.")
        return response


password_change = login_required_page(cast(Callable[..., HttpResponse], PasswordChangeView.as_view()))


def _reset_throttled(request: HttpRequest, email: str) -> bool:
    """Per client address and per e-mail address, with the cache-based counters the sign-in
    throttle uses. Counts every request, known address or not, so the answer reveals nothing."""
    if not settings.RATELIMIT_ENABLE:
        return False
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    limited = False
    for group, key, rate in (
        ("password-reset-ip", client_ip(request), settings.PASSWORD_RESET_RATE_IP),
        ("password-reset-email", email_key, settings.PASSWORD_RESET_RATE_EMAIL),
    ):
        try:
            usage = get_usage(request, group=group, key=lambda _g, _r, k=key: k, rate=rate, increment=True)
        except Exception:  # the cache (Redis) is down: let the reset through, like the sign-in lock
            log.warning("password-reset throttle unavailable", exc_info=True)
            return False
        limited = limited or bool(usage and usage["should_limit"])
    return limited


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view: the same answer (the "check your e-mail" page) whether the address has an
    account or not; throttled; the e-mail's link expires after PASSWORD_RESET_TIMEOUT."""

    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_extra_email_context(self) -> dict[str, Any]:
        return {"base_url": settings.PUBLIC_URL, "timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if _reset_throttled(self.request, form.cleaned_data["email"]):
            form.add_error(None, RESET_THROTTLED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        user_sessions_end_all(user=user)
        audit_event_append(
            action="password.reset", object_type="user", object_id=user.pk, actor_email=user.email
        )
        email_after_commit(
            to=user.email,
            template="password_changed",
            context={"recipient": user, "how": "reset by e-mail", "when": timezone.now()},
        )
        return response


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


# --- sessions -------------------------------------------------------------------------------


@require_GET
@login_required_page
def sessions(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    current = request.session.get(SESSION_ROW_KEY)
    timeout = session_idle_timeout(user)
    rows = [
        {"row": s, "device": device_label(s.user_agent), "current": s.pk == current}
        for s in user_sessions_open(user=user, idle_timeout=timeout)
    ]
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": rows,
            "idle_hours": round(timeout.total_seconds() / 3600),
        },
    )


@require_POST
@login_required_page
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    user = request_user(request)
    row = UserSession.objects.filter(pk=session_id, user=user, ended__isnull=True).first()
    if row is None:
        raise Http404("No such session.")
    if row.pk == request.session.get(SESSION_ROW_KEY):
        logout(request)
        messages.info(request, "You are signed out.")
        return redirect("accounts:login")
    user_session_end(session=row, actor=user)
    messages.success(request, "That session was signed out.")
    return redirect("account:sessions")


@require_POST
@login_required_page
def sessions_end_all(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    user_sessions_end_all(user=user)
    logout(request)
    messages.info(request, "You are signed out everywhere, including here.")
    return redirect("accounts:login")


# --- API tokens -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required_page
def tokens(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                raw = api_token_issue(
                    user=user,
                    name=form.cleaned_data["name"],
                    lifetime_days=form.lifetime_days(),
                    check_lifetime=True,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                # Shown once, on this response only (never stored, never redirected through).
                response = render(
                    request,
                    "accounts/tokens.html",
                    {
                        "form": TokenForm(),
                        "tokens": api_tokens_of(user=user),
                        "new_token": raw,
                        "new_token_name": form.cleaned_data["name"],
                        "may_never_expire": may_issue_unlimited_tokens(user),
                    },
                )
                response["Cache-Control"] = "no-store"
                return response
        else:
            status = 400
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "tokens": api_tokens_of(user=user),
            "may_never_expire": may_issue_unlimited_tokens(user),
        },
        status=status,
    )


@require_POST
@login_required_page
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request_user(request)
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(token=token, actor=user)
    messages.success(request, f"Token “{token.name}” revoked: requests with it now answer 401.")
    return redirect("account:tokens")
