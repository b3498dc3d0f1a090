"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Organisation, User


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
