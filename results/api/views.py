"""Imported-results REST API: upload a tool's results file onto a workflow (multipart), list a
workflow's imports, fetch one with its full report. Token or session auth, scoped to the active
organisation like the studio API (``X-Organisation: <slug>``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user
from lib.errors import DomainError, ErrorItem
from studio.access import access_workflow_by_id
from studio.api.views import ERROR
from studio.selectors import version_get

from ..access import access_result_by_id
from ..models import ImportedResult
from ..parsers import MAX_BYTES, PARSERS
from ..selectors import result_list
from ..services import result_import

_SLACK = 64 * 1024  # multipart boundaries and headers around the file


def result_payload(result: ImportedResult, request: Request, *, full: bool = False) -> dict[str, Any]:
    summary = result.report.get("summary", {})
    data: dict[str, Any] = {
        "id": result.pk,
        "url": request.build_absolute_uri(f"/api/results/{result.pk}/"),
        "page_url": request.build_absolute_uri(f"/studio/{result.workflow_id}/results/{result.pk}/"),
        "workflow": result.workflow_id,
        "version": result.version.number,
        "format": result.format,
        "tool": result.tool,
        "tool_version": result.tool_version,
        "file_name": result.file_name,
        "file_sha256": result.file_sha256,
        "file_size": result.file_size,
        "counts": summary.get("counts", {}),
        "time_range": summary.get("time_range", {}),
        "not_understood": summary.get("not_understood", []),
        "failing": result.failing,
        "created": result.created.isoformat(),
        "created_by": result.created_by.email if result.created_by else None,
    }
    if full:
        data["report"] = result.report
    return data


def _int_field(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} must be a number.", [ErrorItem(name, "expected an integer")]) from None


class WorkflowResultsView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="List a workflow's imported results",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
        tags=["results"],
    )
    def get(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        return Response({"results": [result_payload(r, request) for r in result_list(workflow=wf)[:200]]})

    @extend_schema(
        summary="Import a tool's results onto a workflow",
        description="Multipart `file`: a promptfoo `results.json` or OpenTelemetry traces as OTLP/JSON "
        "(GenAI semantic conventions). The format is detected from the content; an optional `format` "
        f"({', '.join(sorted(PARSERS))}) refuses the file when it is something else; an optional `version` "
        "picks the workflow version it was run against (default: the head). Compressed files are refused; "
        f"limits: {MAX_BYTES // (1024 * 1024)} MB (promptfoo 32 MB), 64 levels of nesting. The answer names "
        "the `format`, the `counts` and the `id` to fetch the full report.",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "format": {"type": "string", "enum": sorted(PARSERS)},
                    "version": {"type": "integer"},
                },
                "required": ["file"],
            }
        },
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 413: ERROR},
        tags=["results"],
    )
    def post(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BYTES + _SLACK:
            raise DomainError(
                f"The request is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.",
                [ErrorItem("file", "too large")],
                status=413,
                code="too_large",
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("Send a multipart form with a `file`.", [ErrorItem("file", "required")])
        claimed = request.data.get("format") or None
        if claimed is not None and claimed not in PARSERS:
            raise DomainError(
                f"Unknown format; use one of {', '.join(sorted(PARSERS))}.", [ErrorItem("format", "unknown")]
            )
        number = _int_field(request.data.get("version"), "version")
        version = version_get(workflow=wf, number=number) if number is not None else None
        result = result_import(
            workflow=wf,
            user=request_user(request),
            fh=upload,
            file_name=upload.name or "results.json",
            version=version,
            claimed=claimed,
        )
        return Response(result_payload(result, request), status=status.HTTP_201_CREATED)


@extend_schema(
    summary="One imported result with its report",
    description="The summary (what was understood and not), the PSF mapping (red-team results: OWASP LLM "
    "Top 10 2025 ids, PSF criteria, pass rate per domain with a 95 % Wilson interval) or the observed steps "
    "(traces), and the findings.",
    responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    tags=["results"],
)
@api_view(["GET"])
def result_detail(request: Request, result_id: int) -> Response:
    result = access_result_by_id(request._request, result_id)
    return Response(result_payload(result, request, full=True))
