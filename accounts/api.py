"""Account endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .access import active_membership
from .selectors import memberships_of


class MembershipOut(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.name")
    slug = serializers.CharField(source="organisation.slug")
    role = serializers.CharField()


class MeOut(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    is_assessor = serializers.BooleanField()
    active_organisation = serializers.CharField(allow_null=True)
    memberships = MembershipOut(many=True)


@extend_schema(
    summary="Who am I",
    description="The authenticated user, their memberships and the active organisation (choose one with the `X-Organisation: <slug>` header).",
    responses={200: MeOut},
    tags=["accounts"],
)
@api_view(["GET"])
def me(request: Any) -> Response:
    user = request.user
    active = active_membership(request._request)
    return Response(
        MeOut(
            {
                "email": user.email,
                "name": user.name,
                "is_assessor": user.is_assessor,
                "active_organisation": active.organisation.slug if active else None,
                "memberships": list(memberships_of(user=user)),
            }
        ).data
    )
