"""Reads for accounts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, Invitation, Membership, OidcProvider, Organisation, User, UserSession


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_get(*, user: User, organisation_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("organisation")
        .filter(user=user, organisation_id=organisation_id)
        .first()
    )


def organisation_members(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def invitations_pending(*, organisation: Organisation) -> QuerySet[Invitation]:
    """Invitations not accepted nor cancelled (expired ones too, so they can be re-sent)."""
    return (
        Invitation.objects.filter(organisation=organisation, accepted__isnull=True, cancelled__isnull=True)
        .select_related("invited_by")
        .order_by("-sent")
    )


def admin_count(*, organisation: Organisation) -> int:
    return Membership.objects.filter(organisation=organisation, role=Membership.ADMIN).count()


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked", "-created")


def user_sessions_open(*, user: User, idle_timeout: timedelta) -> QuerySet[UserSession]:
    """Sessions not ended and not idle for longer than ``idle_timeout`` (the session engine
    already expired those, without a request to tell us)."""
    return UserSession.objects.filter(
        user=user, ended__isnull=True, last_seen__gt=timezone.now() - idle_timeout
    ).order_by("-last_seen")


def device_label(user_agent: str) -> str:
    """A short, human description of a browser from its user agent ("Chrome on Linux")."""
    ua = user_agent or ""
    if not ua:
        return "Unknown device"
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("HeadlessChrome", "Chrome (headless)"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
                ("curl/", "curl"),
                ("python-requests", "Python requests"),
            )
            if token in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for token, name in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


def oidc_providers_for_email(*, email: str) -> list[OidcProvider]:
    """The enabled single sign-on providers that accept ``email``'s domain (domain discovery)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or "@" not in email:
        return []
    candidates = OidcProvider.objects.filter(enabled=True, allowed_domains__icontains=domain).select_related(
        "organisation"
    )
    return [p for p in candidates if p.allows_email(email)]


def oidc_provider_enabled(*, provider_id: int) -> OidcProvider | None:
    return OidcProvider.objects.select_related("organisation").filter(pk=provider_id, enabled=True).first()
