from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from .access import login_required_page, switch_organisation
from .forms import SignInForm, SwitchOrganisationForm
from .oidc.views import sso_context
from .selectors import oidc_providers_for_email
from .throttle import locked_message, sign_in_failed, sign_in_wait

GENERIC_FAILURE = "That email and password do not match an account. Check both and try again."


def _safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), str(settings.LOGIN_REDIRECT_URL)
    )
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url if next_url.startswith("/") else "core:dashboard")
    if request.method == "POST" and (discovery := _sso_discovery(request, next_url)) is not None:
        return discovery
    form = SignInForm(request.POST or None)
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        retry_after = sign_in_wait(request, email)
        if retry_after:
            form.add_error(None, locked_message(retry_after))
            status = 429
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is not None:
                login(request, user)
                return HttpResponseRedirect(next_url if next_url.startswith("/") else "/dashboard/")
            sign_in_failed(request, email)
            form.add_error(None, GENERIC_FAILURE)
            status = 400
    elif request.method == "POST":
        status = 400
    response = render(request, "accounts/sign_in.html", {"form": form, "next": next_url}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _sso_discovery(request: HttpRequest, next_url: str) -> HttpResponse | None:
    """Domain discovery without JavaScript: "Continue with single sign-on", or an address sent
    without a password, shows the "Sign in with …" buttons of the providers that accept its
    domain. None: go on with the password sign-in (and its field errors)."""
    email = str(request.POST.get("email", "")).strip()[:254]
    wants_sso = "sso" in request.POST
    if "@" not in email or not (wants_sso or not request.POST.get("password")):
        return None
    if not wants_sso and not oidc_providers_for_email(email=email):
        return None
    context = {
        "form": SignInForm(initial={"email": email}),
        "next": next_url,
        **sso_context(email=email, next_url=next_url if next_url.startswith("/") else ""),
    }
    if not context["sso_buttons"]:
        domain = email.rpartition("@")[2].lower()
        context["sso_note"] = (
            f"No single sign-on is set up for {domain} addresses: sign in with your password."
        )
    return render(request, "accounts/sign_in.html", context)


def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in, behind the same throttle as the main one (accounts/throttle.py)."""
    email = str(request.POST.get("username", "")).strip().lower() if request.method == "POST" else ""
    if email:
        retry_after = sign_in_wait(request, email)
        if retry_after:
            response = render(
                request,
                "core/error.html",
                {"title": "Too many sign-in attempts", "message": locked_message(retry_after)},
                status=429,
            )
            response["Retry-After"] = str(retry_after)
            return response
    response = admin.site.login(request)
    # The admin answers a refused sign-in by showing the form again (200); success redirects.
    if email and response.status_code == 200:
        sign_in_failed(request, email)
    return response


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
