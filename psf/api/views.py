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
from psf.oscal import rubric_to_oscal
from psf.selectors import rubric_of, rubric_version_get

VERSION_PARAM = OpenApiParameter(
    "version", str, description="Rubric version, e.g. 1.1 (default: the current one)."
)


def _version(request: Request) -> RubricVersion:
    version = request.query_params.get("version") or None
    rv = rubric_version_get(version=version[:20] if version else None)
    if rv is None:
        raise Http404("No such rubric version is loaded.")
    return rv


def rubric_payload(rv: RubricVersion) -> dict[str, Any]:
    rubric = rubric_of(rv)
    data = rubric.to_data()
    data.pop("schema", None)
    return {
        "framework": rubric.framework,
        "version": rubric.version,
        "key": rubric.key,
        "content_hash": rv.content_hash,
        "is_current": rv.is_current,
        "domains_label": rubric.domains_label(),
        "criteria_count": len(rubric.all_criteria()),
        **data,
    }


@extend_schema(
    summary="The PSF rubric as JSON",
    description="Current version (or `?version=`): domains, 40 criteria with levels, evidence, checks and mappings, and the pass rule. Public.",
    parameters=[VERSION_PARAM],
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    tags=["psf"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def rubric_json(request: Request) -> Response:
    return Response(rubric_payload(_version(request)))


@extend_schema(
    summary="The PSF rubric as an OSCAL 1.1 catalog",
    description="Domains as groups; criteria as controls with statement, guidance and assessment-objective parts; scores and mappings as props.",
    parameters=[VERSION_PARAM],
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    tags=["psf"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def rubric_oscal(request: Request) -> Response:
    rv = _version(request)
    resp = Response(rubric_to_oscal(rubric_of(rv), generated=rv.loaded_at))
    resp["Content-Disposition"] = f'inline; filename="psf-v{rv.version}-oscal-catalog.json"'
    return resp


@extend_schema(summary="Loaded rubric versions", responses={200: OpenApiTypes.OBJECT}, tags=["psf"])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def rubric_versions(request: Request) -> Response:
    rows = RubricVersion.objects.order_by("framework", "version").values(
        "framework", "version", "title", "is_current", "content_hash", "loaded_at"
    )
    return Response({"versions": list(rows)})
