"""GET /api/inventory/: the organisation's AI use-case inventory as JSON (token or session)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import require_membership

from .inventory import system_row
from .selectors import InventoryFilter, inventory_list


@extend_schema(
    summary="The AI use-case inventory",
    description="Every AI system of the active organisation (filters: q, status, risk, eu, sort), with linked workflow ids.",
    parameters=[
        OpenApiParameter("q", str),
        OpenApiParameter("status", str),
        OpenApiParameter("risk", str),
        OpenApiParameter("eu", str),
        OpenApiParameter("sort", str),
    ],
    responses={200: OpenApiTypes.OBJECT},
    tags=["governance"],
)
@api_view(["GET"])
def inventory_api(request: Request) -> Response:
    m = require_membership(request._request)
    systems = inventory_list(organisation=m.organisation, f=InventoryFilter.from_query(request.query_params))
    return Response(
        {
            "organisation": m.organisation.slug,
            "systems": [
                {
                    "id": s.pk,
                    **system_row(s),
                    "workflows": [w.pk for w in s.workflows.all()],
                    "updated": s.updated,
                }
                for s in systems
            ],
        }
    )
