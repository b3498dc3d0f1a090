"""Access control in one place. Every view and API endpoint calls one of these first.

Rules:
- Anonymous users are sent to sign in (pages) or get 401/403 (API).
- Organisation data is reached only through the *active* membership; another organisation's
  objects answer 404, so their existence is not revealed.
- A role the member lacks answers 403 with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from .models import Invitation, Membership, Organisation, PastMembership, User
from .selectors import membership_get, memberships_of

SESSION_KEY = "active_organisation_id"
HEADER = "HTTP_X_ORGANISATION"

V = TypeVar("V", bound=Callable[..., HttpResponse])


def resolve_active_membership(request: HttpRequest) -> Membership | None:
    """The membership the request acts through: the ``X-Organisation`` header (slug, API
    clients), else the organisation chosen in the session, else the user's first one."""
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    slug = request.META.get(HEADER)
    if slug:
        return (
            Membership.objects.select_related("organisation")
            .filter(user=user, organisation__slug=slug)
            .first()
        )
    org_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if org_id:
        m = membership_get(user=user, organisation_id=int(org_id))
        if m is not None:
            return m
    return memberships_of(user=user).first()


def active_membership(request: HttpRequest) -> Membership | None:
    cached = getattr(request, "_active_membership", Ellipsis)
    if cached is Ellipsis:
        cached = resolve_active_membership(request)
        request._active_membership = cached  # type: ignore[attr-defined]
    return cached


def switch_organisation(request: HttpRequest, organisation_id: int) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    m = membership_get(user=user, organisation_id=organisation_id)
    if m is not None:
        request.session[SESSION_KEY] = m.organisation_id
        request._active_membership = m  # type: ignore[attr-defined]
    return m


def require_membership(request: HttpRequest, *, admin: bool = False) -> Membership:
    """The active membership, or PermissionDenied (403) with a reason."""
    m = active_membership(request)
    if m is None:
        raise PermissionDenied("You are not a member of any organisation.")
    if admin and not m.is_admin:
        raise PermissionDenied("Only an organisation admin can do this.")
    return m


def require_organisation(request: HttpRequest, *, admin: bool = False) -> Organisation:
    return require_membership(request, admin=admin).organisation


def is_assessor(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_assessor", False) or getattr(user, "is_staff", False))
    )


def is_lead_assessor(user: Any) -> bool:
    """A lead assessor may act on any trust mark (not only those they assessed) and countersign
    another assessor's revocation or reinstatement. Platform admins count as lead assessors, as
    they already may open and assign every review."""
    return is_assessor(user) and bool(
        getattr(user, "is_lead_assessor", False) or getattr(user, "is_staff", False)
    )


# --- conflict of interest -------------------------------------------------------------------------
# One rule for reviews (assessments) and the trust-mark lifecycle: an assessor may not act on an
# organisation they belong to, or belonged to in the last two years.

CONFLICT_YEARS = 2


def conflict_cutoff(now: datetime | None = None) -> datetime:
    """The moment before which an ended membership no longer conflicts (two years ago)."""
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - CONFLICT_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year - CONFLICT_YEARS, day=28)


def conflict_of_interest(user: Any, organisation: Organisation, *, now: datetime | None = None) -> str:
    """Why ``user`` has a conflict of interest with ``organisation`` (a sentence), or ``""``."""
    if not getattr(user, "pk", None):
        return ""
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        return f"Conflict of interest: you are a member of {organisation.name}"
    ended = (
        PastMembership.objects.filter(user=user, organisation=organisation, ended__gte=conflict_cutoff(now))
        .order_by("-ended")
        .values_list("ended", flat=True)
        .first()
    )
    if ended is not None:
        return (
            f"Conflict of interest: you were a member of {organisation.name} until "
            f"{_day(ended)}, less than {CONFLICT_YEARS} years ago"
        )
    return ""


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def is_conflicted(user: Any, organisation_id: int) -> bool:
    """Whether ``user`` belongs, or belonged in the last two years, to the organisation."""
    if not getattr(user, "pk", None):
        return False
    return (
        Membership.objects.filter(user=user, organisation_id=organisation_id).exists()
        or PastMembership.objects.filter(
            user=user, organisation_id=organisation_id, ended__gte=conflict_cutoff()
        ).exists()
    )


def conflicted_organisation_ids(user: Any) -> set[int]:
    """The organisations ``user`` may not assess (two queries, for lists)."""
    if not getattr(user, "pk", None):
        return set()
    current = Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
    past = PastMembership.objects.filter(user=user, ended__gte=conflict_cutoff()).values_list(
        "organisation_id", flat=True
    )
    return set(current) | set(past)


def conflicted_users(organisation_id: int) -> QuerySet[User]:
    """The users who may not assess the organisation (a subquery-friendly queryset)."""
    return User.objects.filter(
        Q(memberships__organisation_id=organisation_id)
        | Q(past_memberships__organisation_id=organisation_id, past_memberships__ended__gte=conflict_cutoff())
    )


# --- trust-mark lifecycle -----------------------------------------------------------------------
# Suspend, reinstate, renew, revoke, the surveillance review and the approval of another
# assessor's request all pass this one rule (trustmarks.services enforces it; pages use it to
# decide what to offer).


def lifecycle_refusal(user: Any, *, organisation: Organisation, assigned_assessor: Any, doing: str) -> str:
    """Why ``user`` may not ``doing`` on a trust mark of ``organisation`` (a sentence), or ``""``.

    Allowed: a platform assessor without a conflict of interest who is the mark's assessor
    (``assigned_assessor``: the one who decided its assessment) or a lead assessor."""
    if not is_assessor(user) or not getattr(user, "is_active", False):
        return f"Only a platform assessor can {doing}."
    conflict = conflict_of_interest(user, organisation)
    if conflict:
        return f"{conflict}, so you cannot {doing} for its trust mark."
    assigned_id = getattr(assigned_assessor, "pk", None)
    if assigned_id is not None and assigned_id == user.pk:
        return ""
    if is_lead_assessor(user):
        return ""
    who = assigned_assessor.display_name if assigned_id is not None else "nobody"
    return f"This trust mark was assessed by {who}; only its assessor or a lead assessor can {doing}."


def four_eyes_refusal(user: Any, *, requested_by: Any) -> str:
    """Why ``user`` may not approve a change ``requested_by`` asked for (the same person), or ``""``."""
    if getattr(requested_by, "pk", None) is not None and requested_by.pk == getattr(user, "pk", None):
        return "You asked for this change: a second assessor must approve it (four eyes)."
    return ""


def require_assessor(request: HttpRequest) -> User:
    if not is_assessor(request.user):
        raise PermissionDenied("Only a platform assessor can do this.")
    user = request.user
    assert isinstance(user, User)
    return user


def login_required_page(view: V) -> V:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def member_required(*, admin: bool = False) -> Callable[[V], V]:
    """Page decorator: signed in and a member of an organisation (optionally its admin)."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_membership(request, admin=admin)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def assessor_required(view: V) -> V:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_assessor(request)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def request_user(request: Any) -> User:
    """The signed-in user of a request whose access was already checked (typed for services)."""
    user = request.user
    assert isinstance(user, User), "access must be checked before acting as the user"
    return user


def is_org_admin(user: Any, organisation: Organisation) -> bool:
    """Whether ``user`` is an admin of ``organisation`` (platform admins are not, by default)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and Membership.objects.filter(user=user, organisation=organisation, role=Membership.ADMIN).exists()
    )


def access_membership_by_id(request: HttpRequest, membership_id: int, *, admin: bool = True) -> Membership:
    """A membership of the active organisation: 404 for any other organisation's (checked first,
    so an outsider learns nothing), then 403 unless the acting member is its admin (``admin``)."""
    acting = require_membership(request)
    m = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=membership_id, organisation_id=acting.organisation_id)
        .first()
    )
    if m is None:
        raise Http404("No such member.")
    if admin and not acting.is_admin:
        raise PermissionDenied("Only an organisation admin can do this.")
    return m


def access_invitation_by_id(request: HttpRequest, invitation_id: int) -> Invitation:
    """An invitation of the active organisation (404 for another organisation's), for its admin
    only (403)."""
    acting = require_membership(request)
    inv = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id, organisation_id=acting.organisation_id)
        .first()
    )
    if inv is None:
        raise Http404("No such invitation.")
    if not acting.is_admin:
        raise PermissionDenied("Only an organisation admin can do this.")
    return inv


def can_brand(membership: Membership) -> bool:
    """Who may change an organisation's branding (PRODUCT.md §12: "set by its admin or the
    adviser"). The one rule: the organisation's admin, or an adviser — a member of the
    organisation who also belongs to at least one other organisation (an MSP's people advise
    several clients, like the demo's mia). A practitioner of one organisation only may not."""
    if membership.is_admin:
        return True
    return (
        Membership.objects.filter(user_id=membership.user_id)
        .exclude(organisation_id=membership.organisation_id)
        .exists()
    )


def access_branding(request: HttpRequest, organisation_slug: str | None = None) -> Membership:
    """The membership through which the user edits an organisation's branding: the active one, or
    the user's membership of ``organisation_slug`` (404 when they have none, so an outsider learns
    nothing); then 403 unless :func:`can_brand`."""
    if organisation_slug is None:
        m = require_membership(request)
    else:
        user = request_user(request)
        found = (
            Membership.objects.select_related("organisation")
            .filter(user=user, organisation__slug=organisation_slug)
            .first()
        )
        if found is None:
            raise Http404("No such organisation.")
        m = found
    if not can_brand(m):
        raise PermissionDenied("Only the organisation's admin or its adviser can change its branding.")
    return m


def access_client_organisation(request: HttpRequest, slug: str) -> Membership:
    """The requester's membership in the organisation ``slug`` (an MSP client's pages: launch pack,
    governance reports), whatever organisation is active — an adviser reaches each client by its
    address. Any member may read them (admins, practitioners and advisers alike: it is the
    organisation's own data, which its members already see in the studio). Everyone else gets 404,
    so a client's existence is not revealed; call after the sign-in check."""
    user = request.user
    m = (
        Membership.objects.select_related("organisation", "user")
        .filter(user=user, organisation__slug=slug)
        .first()
        if user.is_authenticated
        else None
    )
    if m is None:
        raise Http404("No such client.")
    return m
