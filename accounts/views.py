from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage

from lib.http import client_ip

from .access import login_required_page, switch_organisation
from .forms import SignInForm, SwitchOrganisationForm

GENERIC_FAILURE = "That email and password do not match an account. Check both and try again."
LOCKED = "Too many failed sign-in attempts. Wait a few minutes and try again."


def _safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _throttle_keys(request: HttpRequest, email: str) -> tuple[list[tuple[str, str]], str]:
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    rate = f"{settings.LOGIN_FAILURE_LIMIT}/{settings.LOGIN_FAILURE_WINDOW_SECONDS}s"
    # Per (IP, account) and per account: slows guessing one password and spraying from many IPs.
    return [("login-ip-email", f"{client_ip(request)}:{email_key}"), ("login-email", email_key)], rate


def _locked(request: HttpRequest, group: str, key: str, rate: str) -> bool:
    usage = get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, increment=False)
    return bool(usage and usage["count"] >= usage["limit"])


def _count_failure(request: HttpRequest, group: str, key: str, rate: str) -> None:
    get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, increment=True)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), str(settings.LOGIN_REDIRECT_URL)
    )
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url if next_url.startswith("/") else "core:dashboard")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        keys, rate = _throttle_keys(request, email)
        if settings.RATELIMIT_ENABLE and any(_locked(request, g, k, rate) for g, k in keys):
            form.add_error(None, LOCKED)
            status = 429
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is not None:
                login(request, user)
                return HttpResponseRedirect(next_url if next_url.startswith("/") else "/dashboard/")
            for g, k in keys:
                _count_failure(request, g, k, rate)
            form.add_error(None, GENERIC_FAILURE)
            status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("core:landing")


@require_POST
@login_required_page
def switch(request: HttpRequest) -> HttpResponse:
    form = SwitchOrganisationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an organisation to switch to.")
        return redirect("core:dashboard")
    membership = switch_organisation(request, form.cleaned_data["organisation"])
    if membership is None:
        messages.error(request, "You are not a member of that organisation.")
        return redirect("core:dashboard")
    messages.success(request, f"You are now working in {membership.organisation.name}.")
    return redirect(_safe_next(request, form.cleaned_data.get("next"), "/dashboard/"))
