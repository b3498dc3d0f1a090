"""Personal API tokens: issue, check, revoke. Only a SHA-256 of a token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem

from ..models import ApiToken, Membership, User

TOKEN_PREFIX = "wfos_"  # noqa: S105 - a public prefix, not a secret
# Lifetimes offered in the UI; None (never expires) only for organisation and platform admins.
TOKEN_LIFETIMES_DAYS = (30, 90, 365)


class TokenRejected(DomainError):
    """A token that does not authenticate: unknown, revoked or expired (answered 401)."""


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def may_issue_unlimited_tokens(user: User) -> bool:
    """Tokens that never expire are for admins: platform admins and organisation admins."""
    return bool(user.is_staff or Membership.objects.filter(user=user, role=Membership.ADMIN).exists())


def api_token_issue(
    *, user: User, name: str = "default", lifetime_days: int | None = None, check_lifetime: bool = False
) -> str:
    """Create a personal API token and return its secret (shown once, stored hashed).

    ``lifetime_days`` None means it never expires. With ``check_lifetime`` (the UI) the
    lifetime must be one of TOKEN_LIFETIMES_DAYS, or None for an admin; the automation
    command ``issue_api_token`` skips that check."""
    name = name.strip()[:100]
    if check_lifetime:
        if not name:
            raise DomainError("Give the token a name.", [ErrorItem("name", "Required.")])
        if lifetime_days is None and not may_issue_unlimited_tokens(user):
            raise DomainError(
                "Only organisation and platform admins can create tokens that never expire.",
                [ErrorItem("lifetime", "Choose 30, 90 or 365 days.")],
            )
        if lifetime_days is not None and lifetime_days not in TOKEN_LIFETIMES_DAYS:
            raise DomainError("Choose 30, 90 or 365 days.", [ErrorItem("lifetime", "Not offered.")])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name or "default",
            prefix=raw[:12],
            key_hash=_hash_token(raw),
            created=now,
            expires=now + timedelta(days=lifetime_days) if lifetime_days else None,
        )
        audit_event_append(
            action="api_token.created",
            object_type="apitoken",
            object_id=token.pk,
            actor_email=user.email,
            data={
                "name": token.name,
                "prefix": token.prefix,
                "expires": token.expires.isoformat() if token.expires else None,
            },
        )
    return raw


def api_token_check(raw: str) -> ApiToken:
    """The token behind ``raw`` if it may authenticate, else TokenRejected saying why.

    Updates ``last_used`` at most once a minute."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(raw)).first()
    if token is None or not token.user.is_active:
        raise TokenRejected("Invalid token.", status=401, code="token_invalid")
    if token.revoked is not None:
        raise TokenRejected(
            "This API token was revoked. Create a new one under Account → API tokens.",
            status=401,
            code="token_revoked",
        )
    if token.is_expired:
        assert token.expires is not None
        raise TokenRejected(
            f"This API token has expired (on {token.expires:%Y-%m-%d %H:%M} UTC). "
            "Create a new one under Account → API tokens.",
            status=401,
            code="token_expired",
        )
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a usable token belongs to, or None."""
    try:
        return api_token_check(raw).user
    except TokenRejected:
        return None


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    """Revoke a token now; requests with it answer 401 from then on."""
    if token.revoked is not None:
        return
    with transaction.atomic():
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit_event_append(
            action="api_token.revoked",
            object_type="apitoken",
            object_id=token.pk,
            actor_email=actor.email,
            data={"name": token.name, "prefix": token.prefix},
        )
