"""Public PAI-8 catalog: the framework as JSON and as an OSCAL catalog, like the PSF's."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from psf.models import RubricVersion
from psf.oscal_pai8 import maturity_to_oscal
from psf.selectors import maturity_of, pai8_version_get

VERSION_PARAM = OpenApiParameter(
    "version", str, description="PAI-8 version, e.g. 2026 (default: the current one)."
)


def _version(request: Request) -> RubricVersion:
    version = request.query_params.get("version") or None
    rv = pai8_version_get(version=version[:20] if version else None)
    if rv is None:
        raise Http404("No such PAI-8 version is loaded.")
    return rv


def pai8_payload(rv: RubricVersion) -> dict[str, Any]:
    fw = maturity_of(rv)
    data = fw.to_data()
    data.pop("schema", None)
    return {
        "key": fw.key,
        "content_hash": rv.content_hash,
        "is_current": rv.is_current,
        "checkpoints_count": len(fw.all_checkpoints()),
        **data,
    }


@extend_schema(
    summary="PAI-8 as JSON",
    description=(
        "The organisational standard: eight controls C1–C8 with intent, four checkpoints each "
        "(authored ones marked), L0–L3 descriptors, the posture rule and the authored crosswalk "
        "to PSF domains. Current version, or `?version=`. Public."
    ),
    parameters=[VERSION_PARAM],
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    tags=["pai8"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def pai8_json(request: Request) -> Response:
    return Response(pai8_payload(_version(request)))


@extend_schema(
    summary="PAI-8 as an OSCAL 1.1 catalog",
    description="Controls C1–C8 with their checkpoints as sub-controls; L0–L3 descriptors as assessment-objective parts.",
    parameters=[VERSION_PARAM],
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    tags=["pai8"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def pai8_oscal(request: Request) -> Response:
    rv = _version(request)
    resp = Response(maturity_to_oscal(maturity_of(rv), generated=rv.loaded_at))
    resp["Content-Disposition"] = f'inline; filename="pai-8-v{rv.version}-oscal-catalog.json"'
    return resp
