"""Studio REST API: workflows, versions, import, export, the format's JSON Schema and the
node-type catalogue. Token or session auth; everything is scoped to the active organisation
(``X-Organisation: <slug>`` selects one for API clients)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import request_user, require_membership
from core.pagination import page_params
from core.parsers import JSONParser
from lib.errors import DomainError, ErrorItem
from studio.access import access_workflow_by_id
from studio.catalogue import load_catalogue
from studio.format import MAX_DOCUMENT_BYTES, WorkflowDocument, json_schema, parse_document
from studio.models import Workflow, WorkflowVersion
from studio.selectors import version_get, version_list, workflow_list
from studio.services import (
    workflow_create,
    workflow_delete,
    workflow_from_template,
    workflow_import,
    workflow_save,
)

ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description='`{"error": code, "message": text, "errors": [{"path", "message"}]}`'
)
DOC_DESCRIPTION = "A `workflowos.workflow/v1` document (JSON Schema: `/api/schemas/workflow-v1.json`)."


def _too_large(request: Request | HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_DOCUMENT_BYTES:
        raise DomainError(
            f"The request body is {length} bytes; the limit is {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
            [ErrorItem("", "too large")],
            status=413,
            code="too_large",
        )


def _document_from_body(data: Any) -> tuple[WorkflowDocument, dict[str, Any]]:
    """Accept either a bare document or ``{"document": {...}, "base_version": n, "message": "..."}``."""
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.", [ErrorItem("", "expected a JSON object")])
    if "document" in data:
        extra = {k: v for k, v in data.items() if k != "document"}
        unknown = set(extra) - {"base_version", "message"}
        if unknown:
            raise DomainError(
                "Unknown fields in the body.", [ErrorItem(k, "unknown field") for k in sorted(unknown)]
            )
        try:
            return parse_document(data["document"]), extra
        except DomainError as exc:
            exc.errors = [
                ErrorItem(f"document.{e.path}" if e.path else "document", e.message) for e in exc.errors
            ]
            raise
    return parse_document(data), {}


def _base_version(request: Request, extra: dict[str, Any]) -> int | None:
    raw = extra.get(
        "base_version", request.query_params.get("base_version") or request.headers.get("If-Match")
    )
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw).strip('"'))
    except (TypeError, ValueError):
        raise DomainError(
            "base_version must be a version number.", [ErrorItem("base_version", "expected an integer")]
        ) from None
    if value < 0:
        raise DomainError(
            "base_version must be a version number.",
            [ErrorItem("base_version", "expected a positive integer")],
        )
    return value


def workflow_summary(wf: Workflow, request: Request) -> dict[str, Any]:
    return {
        "id": wf.pk,
        "name": wf.name,
        "description": wf.description,
        "head_version": wf.head_number,
        "created": wf.created.isoformat(),
        "updated": wf.updated.isoformat(),
        "url": request.build_absolute_uri(f"/api/workflows/{wf.pk}/"),
        "studio_url": request.build_absolute_uri(f"/studio/{wf.pk}/"),
    }


def version_payload(v: WorkflowVersion, *, include_document: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": v.number,
        "content_hash": v.content_hash,
        "created": v.created.isoformat(),
        "author": v.author.email if v.author else None,
        "message": v.message,
        "node_count": v.node_count,
        "edge_count": v.edge_count,
    }
    if include_document:
        data["document"] = v.document
    return data


def workflow_detail(wf: Workflow, request: Request) -> dict[str, Any]:
    head = version_get(workflow=wf)
    return {
        **workflow_summary(wf, request),
        "content_hash": head.content_hash,
        "version": version_payload(head, include_document=False),
        "document": head.document,
    }


class WorkflowListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="List workflows of the active organisation",
        operation_id="workflows_list",
        parameters=[
            OpenApiParameter("q", str, description="Search in name and description."),
            OpenApiParameter(
                "sort", str, enum=["updated", "-updated", "name", "-name", "created", "-created"]
            ),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: OpenApiTypes.OBJECT, 403: ERROR},
        tags=["workflows"],
    )
    def get(self, request: Request) -> Response:
        org = require_membership(request._request).organisation
        qs = workflow_list(
            organisation=org,
            query=request.query_params.get("q", ""),
            sort=request.query_params.get("sort", "updated"),
        )
        limit, offset = page_params(request)
        total = qs.count()
        rows = [workflow_summary(wf, request) for wf in qs[offset : offset + limit]]
        return Response({"count": total, "limit": limit, "offset": offset, "results": rows})

    @extend_schema(
        summary="Create a workflow",
        description=DOC_DESCRIPTION
        + ' Or `{"template": "rag-assistant", "name": "…"}` to start from a template.',
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 413: ERROR},
        examples=[
            OpenApiExample(
                "Minimal document",
                value={
                    "format": "workflowos.workflow/v1",
                    "name": "Support bot",
                    "facts": {
                        "personal_data": True,
                        "stakes": "low",
                        "audience": "external",
                        "regulated": False,
                    },
                    "nodes": [
                        {"id": "in", "type": "user_input", "label": "Customer message"},
                        {
                            "id": "llm",
                            "type": "llm_call",
                            "label": "Answer",
                            "config": {"vendor": "openai", "model": "gpt-4o", "model_version": "2024-08-06"},
                        },
                        {"id": "out", "type": "response", "label": "Reply"},
                    ],
                    "edges": [
                        {"from": "in", "to": "llm", "kind": "data"},
                        {"from": "llm", "to": "out", "kind": "data"},
                    ],
                },
                request_only=True,
            )
        ],
        tags=["workflows"],
    )
    def post(self, request: Request) -> Response:
        _too_large(request)
        membership = require_membership(request._request)
        data = request.data
        if isinstance(data, dict) and "template" in data and "nodes" not in data:
            wf = workflow_from_template(
                organisation=membership.organisation,
                author=request_user(request),
                slug=str(data["template"]),
                name=data.get("name"),
            )
        else:
            document, extra = _document_from_body(data)
            wf = workflow_create(
                organisation=membership.organisation,
                author=request_user(request),
                document=document,
                message=str(extra.get("message") or "Created"),
            )
        return Response(workflow_detail(wf, request), status=status.HTTP_201_CREATED)


class WorkflowDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="workflow_retrieve",
        summary="A workflow with its latest version's document",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
        tags=["workflows"],
    )
    def get(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        return Response(workflow_detail(wf, request))

    @extend_schema(
        summary="Save a new version",
        description=DOC_DESCRIPTION
        + ' Send `{"document": {...}, "base_version": n}` (or the bare document with `If-Match: n`): a save based on an outdated version is refused with 409 and nothing is stored.',
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiTypes.OBJECT,
            201: OpenApiTypes.OBJECT,
            400: ERROR,
            404: ERROR,
            409: ERROR,
            413: ERROR,
        },
        tags=["workflows"],
    )
    def put(self, request: Request, workflow_id: int) -> Response:
        _too_large(request)
        wf = access_workflow_by_id(request._request, workflow_id)
        document, extra = _document_from_body(request.data)
        outcome = workflow_save(
            workflow=wf,
            author=request_user(request),
            document=document,
            base_number=_base_version(request, extra),
            message=str(extra.get("message") or ""),
        )
        wf.refresh_from_db()
        body = workflow_detail(wf, request)
        body["created_version"] = outcome.created
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    @extend_schema(
        summary="Delete a workflow",
        description="Hides the workflow; its versions stay for submissions that cite them.",
        responses={204: None, 404: ERROR},
        tags=["workflows"],
    )
    def delete(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        workflow_delete(workflow=wf)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    operation_id="workflow_versions_list",
    summary="Versions of a workflow",
    responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    tags=["workflows"],
)
@api_view(["GET"])
def workflow_versions(request: Request, workflow_id: int) -> Response:
    wf = access_workflow_by_id(request._request, workflow_id)
    return Response(
        {
            "workflow": wf.pk,
            "results": [version_payload(v, include_document=False) for v in version_list(workflow=wf)],
        }
    )


@extend_schema(
    operation_id="workflow_version_retrieve",
    summary="One version of a workflow",
    responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    tags=["workflows"],
)
@api_view(["GET"])
def workflow_version(request: Request, workflow_id: int, number: int) -> Response:
    wf = access_workflow_by_id(request._request, workflow_id)
    return Response(version_payload(version_get(workflow=wf, number=number)))


class WorkflowImportView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Import a workflow",
        description="Our JSON, the earlier WorkflowOS studio's `workflow.json` or `.wfos` ZIP, or n8n workflow JSON — as a JSON body or a multipart `file`. "
        "The answer lists what was mapped and what was not. Limit 5 MB.",
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 413: ERROR},
        tags=["workflows"],
    )
    def post(self, request: Request) -> Response:
        _too_large(request)
        membership = require_membership(request._request)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            if upload.size > MAX_DOCUMENT_BYTES:
                raise DomainError(
                    "The file is larger than 5 MB.",
                    [ErrorItem("file", "too large")],
                    status=413,
                    code="too_large",
                )
            content, filename = upload.read(), upload.name
        elif request.content_type and request.content_type.startswith("application/json"):
            content, filename = json.dumps(request.data).encode(), None
        else:
            raise DomainError(
                "Send a JSON body or a multipart form with a `file`.", [ErrorItem("file", "required")]
            )
        outcome = workflow_import(
            organisation=membership.organisation,
            author=request_user(request),
            filename=filename,
            content=content,
        )
        body = workflow_detail(outcome.workflow, request)
        body.update(
            {"source_format": outcome.source_format, "mapped": outcome.mapped, "unmapped": outcome.unmapped}
        )
        return Response(body, status=status.HTTP_201_CREATED)


EXPORT_TYPES = {
    "json": ("application/json", "json"),
    "mermaid": ("text/plain; charset=utf-8", "mmd"),
    "bpmn": ("application/xml", "bpmn"),
}


def export_response(wf: Workflow, version: WorkflowVersion, fmt: str) -> HttpResponse:
    from studio.convert.export import to_bpmn, to_json, to_mermaid

    doc = parse_document(version.document)
    body = {"json": to_json, "mermaid": to_mermaid, "bpmn": to_bpmn}[fmt](doc)
    ctype, ext = EXPORT_TYPES[fmt]
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="workflow-{wf.pk}-v{version.number}.{ext}"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@extend_schema(
    summary="Export a workflow version",
    parameters=[
        OpenApiParameter("format", str, enum=list(EXPORT_TYPES)),
        OpenApiParameter("version", int, description="Default: latest."),
    ],
    responses={
        (200, "application/json"): OpenApiTypes.OBJECT,
        (200, "text/plain"): OpenApiTypes.STR,
        (200, "application/xml"): OpenApiTypes.STR,
        400: ERROR,
        404: ERROR,
    },
    tags=["workflows"],
)
@api_view(["GET"])
def workflow_export(request: Request, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request._request, workflow_id)
    fmt = request.query_params.get("format", "json")
    if fmt not in EXPORT_TYPES:
        raise DomainError(
            f"Unknown export format {fmt[:20]!r}.", [ErrorItem("format", "expected json, mermaid or bpmn")]
        )
    number = request.query_params.get("version")
    try:
        n = int(number) if number else None
    except ValueError:
        raise DomainError(
            "version must be a number.", [ErrorItem("version", "expected an integer")]
        ) from None
    return export_response(wf, version_get(workflow=wf, number=n), fmt)


@extend_schema(
    summary="JSON Schema of workflowos.workflow/v1", responses={200: OpenApiTypes.OBJECT}, tags=["format"]
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def workflow_schema(request: Request) -> JsonResponse:
    return JsonResponse(
        json_schema(), json_dumps_params={"indent": 2}, content_type="application/schema+json"
    )


@extend_schema(summary="The node-type catalogue", responses={200: OpenApiTypes.OBJECT}, tags=["format"])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def node_types(request: Request) -> Response:
    cat = load_catalogue()
    return Response({"version": cat.version, "types": [t.model_dump(mode="json") for t in cat.types]})


@extend_schema(
    operation_id="workflow_analysis_run",
    summary="Run (or fetch) the PSF analysis of a workflow version",
    description="Analyses the latest version, or `?version=n`, against the current PSF rubric. Deterministic; stored per "
    "version hash, so re-analysing an unchanged version returns the stored result at once. The body is "
    "`workflowos.analysis/v1`: findings (rule, criterion, domain, severity, status, steps/paths, expected/actual, "
    "remediation), domain and overall scores, pass/fail by the rubric's pass rule, and the coverage matrix.",
    parameters=[OpenApiParameter("version", int, description="Version number (default: latest).")],
    request=None,
    responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR},
    tags=["analysis"],
)
@api_view(["POST"])
def workflow_analysis(request: Request, workflow_id: int) -> Response:
    from studio.analysis_service import analysis_for_version

    wf = access_workflow_by_id(request._request, workflow_id)
    raw = request.query_params.get("version")
    try:
        number = int(raw) if raw else None
    except ValueError:
        raise DomainError(
            "version must be a number.", [ErrorItem("version", "expected an integer")]
        ) from None
    version = version_get(workflow=wf, number=number)
    analysis = analysis_for_version(version=version)
    return Response(
        {
            "workflow": wf.pk,
            "version": version.number,
            "content_hash": version.content_hash,
            "analysed_at": analysis.created.isoformat(),
            "url": request.build_absolute_uri(f"/studio/{wf.pk}/analysis/?version={version.number}"),
            **analysis.result,
        }
    )
