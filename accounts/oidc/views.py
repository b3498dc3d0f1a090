"""Start and finish a single sign-on (the library's views, with the provider chosen per sign-in),
and the sign-in page's domain discovery."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from ..access import switch_organisation
from ..forms import SignInForm
from ..models import OidcProvider
from ..selectors import oidc_provider_enabled, oidc_providers_for_email
from ..services.sso import sso_refused, sso_signed_in
from ..throttle import locked_message, sign_in_failed, sign_in_wait
from .backend import BACKEND_PATH, OrganisationOidcBackend
from .discovery import provider_metadata
from .errors import SsoError

STATE_MISMATCH = (
    "This sign-in could not be matched to one started in this browser (the state does not match): "
    "it may be stale, used already, or started elsewhere. Start single sign-on again below."
)
UNAVAILABLE = "That single sign-on is not available. Sign in with your password or choose another."


class StartForm(forms.Form):
    provider = forms.IntegerField(min_value=1)
    email = forms.EmailField(required=False, max_length=254)
    next = forms.CharField(required=False, max_length=500)


def _safe_next(request: HttpRequest, target: str | None) -> str:
    from ..views import _safe_next as safe

    url = safe(request, target, "/dashboard/")
    return url if url.startswith("/") else "/dashboard/"


def sso_context(*, email: str, next_url: str, note: str = "") -> dict[str, Any]:
    """The sign-in page's single sign-on part: a "Sign in with …" link per provider of the
    address's domain (links, not forms: see OidcStartView)."""
    providers = oidc_providers_for_email(email=email) if "@" in email else []
    start = reverse("accounts:oidc_start")
    buttons = []
    for p in providers:
        query = {"provider": p.pk, "email": email, **({"next": next_url} if next_url else {})}
        buttons.append(
            {"name": p.name, "organisation": p.organisation.name, "href": f"{start}?{urlencode(query)}"}
        )
    return {"sso_buttons": buttons, "sso_email": email, "sso_note": "" if buttons else note}


def refused_page(
    request: HttpRequest, message: str, *, status: int, email: str = "", next_url: str = ""
) -> HttpResponse:
    """The sign-in page with a single sign-on refusal on top (never a bare error page)."""
    context = {
        "form": SignInForm(initial={"email": email}),
        "next": next_url,
        "sso_error": message,
        **sso_context(email=email, next_url=next_url),
    }
    return render(request, "accounts/sign_in.html", context, status=status)


@require_GET
def sso_discover(request: HttpRequest) -> HttpResponse:
    """htmx: the "Sign in with …" buttons for the address typed so far (empty when none)."""
    email = request.GET.get("email", "").strip()[:254]
    next_url = _safe_next(request, request.GET.get("next")) if request.GET.get("next") else ""
    return render(request, "accounts/_sso_options.html", sso_context(email=email, next_url=next_url))


class OidcStartView(OIDCAuthenticationRequestView):
    """GET (a link, as the library's own view): send the browser to the chosen provider's
    authorization endpoint. A link rather than a form, because the sign-in page's
    Content-Security-Policy (``form-action 'self'``) forbids a form submission that redirects to
    another origin; starting a sign-in changes nothing but this session's pending states, and the
    callback accepts only a state this session started (no login CSRF).

    The library puts state, nonce and PKCE verifier in the session; the provider's id, the typed
    address and the destination go beside them, so the callback knows which provider to trust."""

    http_method_names = ["get"]

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the endpoint and client come from the provider, not settings
        self.login_hint = ""

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        return {"login_hint": self.login_hint} if self.login_hint else {}

    def get(self, request: HttpRequest) -> HttpResponse:
        form = StartForm(request.GET)
        if not form.is_valid():
            return refused_page(request, UNAVAILABLE, status=400)
        email = (form.cleaned_data["email"] or "").lower()
        next_url = _safe_next(request, form.cleaned_data["next"])
        provider = oidc_provider_enabled(provider_id=form.cleaned_data["provider"])
        if provider is None:
            return refused_page(request, UNAVAILABLE, status=404, email=email, next_url=next_url)
        if email:
            wait = sign_in_wait(request, email)
            if wait:
                response = refused_page(
                    request, locked_message(wait), status=429, email=email, next_url=next_url
                )
                response["Retry-After"] = str(wait)
                return response
        try:
            metadata = provider_metadata(provider)
        except SsoError as exc:
            return refused_page(request, exc.message, status=exc.status, email=email, next_url=next_url)
        self.OIDC_OP_AUTH_ENDPOINT = metadata.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.login_hint = email
        response = super().get(request)  # the library: state, nonce, PKCE into the session
        endpoint = metadata.authorization_endpoint
        if "?" in endpoint:  # e.g. Azure AD B2C's "?p=<policy>": the library would add a second "?"
            response["Location"] = endpoint + "&" + response["Location"][len(endpoint) + 1 :]
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        entry = request.session["oidc_states"][state]
        entry.update({"provider": provider.pk, "email": email, "next": next_url})
        request.session.pop("oidc_login_next", None)  # the destination travels with the state
        request.session.modified = True
        return response


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """GET: the provider sends the browser back here with a code (or an error).

    Checks the state against this session (one use), exchanges the code and verifies the ID token
    through :class:`OrganisationOidcBackend`, then signs in like a password sign-in does (the
    session is recorded by the ``user_logged_in`` receiver) and makes the provider's
    organisation the active one. Every refusal is the sign-in page with a message."""

    def get(self, request: HttpRequest) -> HttpResponse:
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        entry = states.pop(state, None) if isinstance(states, dict) and state else None
        if entry is not None:
            request.session["oidc_states"] = states  # one use, even when what follows fails
            request.session.save()
        if not isinstance(entry, dict) or "provider" not in entry:
            return refused_page(request, STATE_MISMATCH, status=400)
        email_hint, next_url = entry.get("email", ""), entry.get("next", "")
        provider: OidcProvider | None = oidc_provider_enabled(provider_id=entry["provider"])
        if provider is None:
            return refused_page(request, UNAVAILABLE, status=404, email=email_hint, next_url=next_url)
        try:
            if request.GET.get("error"):
                detail = request.GET.get("error_description") or request.GET["error"]
                raise SsoError(
                    f"{provider.name} did not sign you in: {detail[:200]}", code="provider_denied", status=403
                )
            if not request.GET.get("code"):
                raise SsoError(f"{provider.name} sent an incomplete answer. Start again.", code="no_code")
            answered_by = request.GET.get("iss")
            if answered_by is not None and answered_by.rstrip("/") != provider.issuer.rstrip("/"):
                # RFC 9207: the answer names its issuer; another one is a mix-up attack or a mistake.
                raise SsoError(
                    f"The answer came from another issuer than {provider.name}'s (wrong issuer). Sign-in refused.",
                    code="wrong_issuer",
                )
            backend = OrganisationOidcBackend()
            user = backend.authenticate(
                request, provider=provider, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
            )
            if user is None:  # the library gave up without saying why
                raise SsoError(f"{provider.name} did not sign you in. Start again.", code="refused")
        except SsoError as exc:
            counted = exc.email or email_hint
            if counted and exc.code != "throttled":
                sign_in_failed(request, counted)
            sso_refused(provider=provider, error=exc)
            response = refused_page(
                request, exc.message, status=exc.status, email=exc.email or email_hint, next_url=next_url
            )
            if exc.code == "throttled":
                response["Retry-After"] = str(sign_in_wait(request, exc.email))
            return response
        login(request, user, backend=BACKEND_PATH)
        switch_organisation(request, provider.organisation_id)
        sso_signed_in(provider=provider, user=user)
        return HttpResponseRedirect(next_url or "/dashboard/")
