"""The adviser's client workspace: /clients/ (overview across organisations) and the branding
page of an organisation (/organisation/branding/ for the active one, /clients/<slug>/branding/
for any the user belongs to)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import (
    access_branding,
    active_membership,
    login_required_page,
    member_required,
    request_user,
)
from accounts.branding import branding_for

from .branding import organisation_branding_update
from .clients import MARK_FILTERS, SORTS, ClientFilters, client_rows, clients_filtered
from .forms import BrandingForm


@require_GET
@member_required()
def clients(request: HttpRequest) -> HttpResponse:
    active = active_membership(request)
    filters = ClientFilters.from_params(request.GET)
    rows = client_rows(
        user=request_user(request), active_organisation_id=active.organisation_id if active else None
    )
    shown = clients_filtered(rows, filters)
    return render(
        request,
        "msp/clients.html",
        {
            "rows": shown,
            "total": len(rows),
            "filters": filters,
            "mark_filters": MARK_FILTERS,
            "sorts": SORTS,
            "overdue_total": sum(1 for r in rows if r.overdue),
        },
    )


def _branding_page(request: HttpRequest, organisation_slug: str | None) -> HttpResponse:
    membership = access_branding(request, organisation_slug)
    org = membership.organisation
    status = 200
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            changed = organisation_branding_update(
                organisation=org,
                actor=request_user(request),
                brand_name=form.cleaned_data["brand_name"],
                brand_colour=form.cleaned_data["brand_colour"],
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
            if changed:
                messages.success(request, f"Branding of {org.name} saved.")
            else:
                messages.info(request, "Nothing changed.")
            here = (
                reverse("msp:client_branding", args=[org.slug])
                if organisation_slug
                else reverse("msp:branding")
            )
            return redirect(here)
        status = 400
    else:
        form = BrandingForm(initial={"brand_name": org.brand_name, "brand_colour": org.brand_colour})
    return render(
        request,
        "msp/branding.html",
        {"organisation": org, "form": form, "brand": branding_for(org), "membership": membership},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required_page
def branding(request: HttpRequest) -> HttpResponse:
    return _branding_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required_page
def client_branding(request: HttpRequest, slug: str) -> HttpResponse:
    return _branding_page(request, slug)
