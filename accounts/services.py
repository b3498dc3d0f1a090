"""Writes for accounts: users, organisations, memberships, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from lib.errors import DomainError

from .models import ApiToken, Membership, Organisation, User

TOKEN_PREFIX = "wfos_"  # noqa: S105 - a public prefix, not a secret


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_issue(*, user: User, name: str = "default") -> str:
    """Create a personal API token and return its secret (shown once, stored hashed)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:12], key_hash=_hash_token(raw))
    return raw


def api_token_authenticate(raw: str) -> User | None:
    """The active user a token belongs to, or None. Updates last_used at most once a minute."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def organisation_create(
    *, name: str, slug: str | None = None, size_tier: str = "mid_market", admin: User | None = None
) -> Organisation:
    base = slugify(slug or name)[:70] or "org"
    candidate, n = base, 1
    while Organisation.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    with transaction.atomic():
        org = Organisation.objects.create(name=name, slug=candidate, size_tier=size_tier)
        if admin is not None:
            Membership.objects.create(user=admin, organisation=org, role=Membership.ADMIN)
    return org


def membership_set(*, user: User, organisation: Organisation, role: str) -> Membership:
    if role not in dict(Membership.ROLES):
        raise DomainError(f"Unknown role {role!r}.")
    m, _ = Membership.objects.update_or_create(user=user, organisation=organisation, defaults={"role": role})
    return m
