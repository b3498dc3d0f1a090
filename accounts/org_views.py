"""The organisation page: members, roles, invitations (admins act; practitioners read)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.errors import DomainError

from .access import (
    access_invitation_by_id,
    access_membership_by_id,
    can_brand,
    member_required,
    request_user,
    require_membership,
    switch_organisation,
)
from .forms import AcceptInvitationForm, InviteForm, RoleForm
from .models import User
from .selectors import admin_count, invitations_pending, organisation_members
from .services.members import (
    InvitationInvalid,
    invitation_accept_existing,
    invitation_accept_new_user,
    invitation_cancel,
    invitation_check,
    invitation_create,
    invitation_resend,
    membership_remove,
    membership_role_change,
)


def _page(request: HttpRequest, invite_form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    acting = require_membership(request)
    org = acting.organisation
    return render(
        request,
        "accounts/organisation.html",
        {
            "organisation": org,
            "is_admin": acting.is_admin,
            "can_brand": can_brand(acting),
            "acting": acting,
            "members": organisation_members(organisation=org),
            "invitations": invitations_pending(organisation=org) if acting.is_admin else [],
            "admin_count": admin_count(organisation=org),
            "invite_form": invite_form or InviteForm(),
            "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        },
        status=status,
    )


@require_GET
@member_required()
def organisation(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@member_required(admin=True)
def invite(request: HttpRequest) -> HttpResponse:
    acting = require_membership(request, admin=True)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        invitation, _raw = invitation_create(
            organisation=acting.organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=request_user(request),
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, status=400)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("org:organisation")


@require_POST
@member_required()
def invitation_resend_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_invitation_by_id(request, invitation_id)
    try:
        invitation_resend(invitation=invitation, actor=request_user(request))
        messages.success(
            request, f"Invitation sent again to {invitation.email}; the previous link no longer works."
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("org:organisation")


@require_POST
@member_required()
def invitation_cancel_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_invitation_by_id(request, invitation_id)
    try:
        invitation_cancel(invitation=invitation, actor=request_user(request))
        messages.success(request, f"Invitation to {invitation.email} cancelled.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("org:organisation")


@require_POST
@member_required()
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership_by_id(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
        return redirect("org:organisation")
    try:
        m = membership_role_change(
            membership=membership, role=form.cleaned_data["role"], actor=request_user(request)
        )
        messages.success(request, f"{m.user.display_name} is now {m.get_role_display().lower()}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("org:organisation")


@require_POST
@member_required()
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership_by_id(request, membership_id)
    try:
        membership_remove(membership=membership, actor=request_user(request))
        messages.success(
            request, f"{membership.user.display_name} was removed from {membership.organisation.name}."
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("org:organisation")


def _invalid(request: HttpRequest, exc: InvitationInvalid) -> HttpResponse:
    return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=exc.status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail. Anyone holding it may open it: the secret is the access
    check. A new person sets a password; someone signed in with the invited address accepts."""
    try:
        invitation = invitation_check(token)
    except InvitationInvalid as exc:
        return _invalid(request, exc)
    user = request.user if request.user.is_authenticated else None
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = AcceptInvitationForm(request.POST or None) if user is None and not has_account else None
    status = 200
    if request.method == "POST":
        try:
            if user is not None:
                membership = invitation_accept_existing(raw=token, user=request_user(request))
            elif form is not None and form.is_valid():
                membership = invitation_accept_new_user(
                    raw=token, password=form.cleaned_data["password1"], name=form.cleaned_data["name"]
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                membership = None
                status = 400
        except InvitationInvalid as exc:
            return _invalid(request, exc)
        except DomainError as exc:
            if form is not None:
                for item in exc.errors:
                    form.add_error(item.path if item.path in form.fields else None, item.message)
                if not exc.errors:
                    form.add_error(None, exc.message)
            else:
                messages.error(request, exc.message)
            membership = None
            status = exc.status if form is None else 400
        if membership is not None:
            switch_organisation(request, membership.organisation_id)
            messages.success(request, f"Welcome to {membership.organisation.name}.")
            return redirect("core:dashboard")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "has_account": has_account, "token": token},
        status=status,
    )
