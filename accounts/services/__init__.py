"""Writes for accounts: users, organisations, memberships; members, tokens and sessions in
the submodules (re-exported here)."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from lib.errors import DomainError

from ..models import Membership, Organisation, User
from .tokens import (
    TOKEN_PREFIX,
    api_token_authenticate,
    api_token_check,
    api_token_issue,
    api_token_revoke,
)

__all__ = [
    "TOKEN_PREFIX",
    "api_token_authenticate",
    "api_token_check",
    "api_token_issue",
    "api_token_revoke",
    "membership_set",
    "organisation_create",
]


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
