"""Evidence export REST API: start an export (a Celery job: 202 + the job URL), follow it, and
download the PDF and the signed ZIP bundle when it is done. Scoped like the studio API (the active
organisation; ``X-Organisation: <slug>`` selects one); a submission pack is also open to the
assessment's assigned assessor."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import require_membership
from core.parsers import JSONParser
from lib.errors import DomainError, ErrorItem, pydantic_path
from studio.access import access_workflow_by_id
from studio.api.views import ERROR
from studio.models import Workflow
from studio.selectors import version_get

from ..access import access_export_by_id, access_submission_for_export
from ..models import ExportJob
from ..selectors import exports_for_organisation, exports_for_workflow
from ..services import (
    MAX_WORKFLOWS,
    export_cancel,
    export_request,
    export_retry,
    export_submission,
    export_sweep_stale,
    export_workflows,
)
from ..views import file_response

JOB = inline_serializer(
    "EvidenceExport",
    fields={
        "id": serializers.IntegerField(),
        "reference": serializers.CharField(help_text="EXP-00007"),
        "url": serializers.URLField(help_text="This job (poll it)."),
        "page_url": serializers.URLField(help_text="The job's page in the web app."),
        "title": serializers.CharField(),
        "scope": serializers.ChoiceField(choices=["workflows", "submission"]),
        "workflows": serializers.ListField(
            child=inline_serializer(
                "EvidenceExportVersion",
                fields={
                    "workflow": serializers.IntegerField(),
                    "version": serializers.IntegerField(),
                    "content_hash": serializers.CharField(),
                },
            )
        ),
        "submission": serializers.IntegerField(allow_null=True),
        "rubric": serializers.CharField(allow_null=True),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed", "cancelled"]),
        "cancel_requested": serializers.BooleanField(
            help_text="A cancel was asked for; a running export stops at its next step."
        ),
        "progress": inline_serializer(
            "EvidenceExportProgress",
            fields={
                "percent": serializers.IntegerField(min_value=0, max_value=100),
                "step": serializers.CharField(),
            },
        ),
        "created": serializers.DateTimeField(),
        "started": serializers.DateTimeField(allow_null=True),
        "finished": serializers.DateTimeField(allow_null=True),
        "created_by": serializers.EmailField(allow_null=True),
        "error": serializers.CharField(
            allow_null=True, help_text="Why the export failed (failed jobs only)."
        ),
        "failure": serializers.ChoiceField(
            choices=["worker_stopped", "queue_unavailable", "time_limit", "error"],
            allow_null=True,
            help_text="Why the export failed, for code (failed jobs only).",
        ),
        "cancel_url": serializers.URLField(
            required=False, help_text="While queued or running: POST here to cancel."
        ),
        "retry_url": serializers.URLField(
            required=False, help_text="When failed or cancelled: POST here to run the same export again."
        ),
        "pdf_url": serializers.URLField(required=False, help_text="When done: the PDF evidence pack."),
        "bundle_url": serializers.URLField(
            required=False, help_text="When done: the signed ZIP bundle (ends in .zip)."
        ),
        "pdf_sha256": serializers.CharField(required=False),
        "bundle_sha256": serializers.CharField(required=False),
        "content_hash": serializers.CharField(
            required=False, help_text="SHA-256 of the pack's artefact list."
        ),
        "page_count": serializers.IntegerField(required=False),
        "signing_kid": serializers.CharField(required=False, help_text="Key id in /.well-known/jwks.json."),
    },
)
JOB_LIST = inline_serializer(
    "EvidenceExportList",
    fields={"count": serializers.IntegerField(), "results": serializers.ListField(child=JOB)},
)
JOB_RESPONSE = OpenApiResponse(JOB, description="The export job.")
FILE = OpenApiResponse(
    OpenApiTypes.BINARY, description="The file, as an attachment (404 until the export is done)."
)


class WorkflowExportBody(BaseModel):
    """The body of POST /api/workflows/{id}/exports/ (optional)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: int | None = Field(default=None, ge=1)


class ExportBody(BaseModel):
    """The body of POST /api/exports/: workflows (their latest versions) or a DSA submission."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workflows: list[int] | None = Field(default=None, min_length=1, max_length=MAX_WORKFLOWS)
    submission: int | None = None


def _parse(model: type[BaseModel], data: Any) -> Any:
    if data is None or data == {} or data == b"":
        data = {}
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.", [ErrorItem("", "expected a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DomainError(
            "The export request is not valid.",
            [ErrorItem(pydantic_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)],
        ) from None


def job_payload(job: ExportJob, request: Request) -> dict[str, Any]:
    """The JSON of an export job; ``pdf_url`` and ``bundle_url`` once it is done."""
    url = request.build_absolute_uri(f"/api/exports/{job.pk}/")
    data: dict[str, Any] = {
        "id": job.pk,
        "reference": job.reference,
        "url": url,
        "page_url": request.build_absolute_uri(f"/evidence/{job.pk}/"),
        "title": job.title,
        "scope": job.scope,
        "workflows": [
            {"workflow": v.workflow_id, "version": v.number, "content_hash": v.content_hash}
            for v in job.versions.order_by("workflow__name", "workflow_id", "number")
        ],
        "submission": job.submission_id,
        "rubric": job.rubric_version.key if job.rubric_version is not None else None,
        "status": job.status,
        "cancel_requested": job.cancel_requested,
        "progress": {"percent": job.progress, "step": job.step},
        "created": job.created.isoformat(),
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "created_by": job.created_by.email if job.created_by else None,
        "error": job.error or None,
        "failure": job.failure or None,
    }
    if not job.is_finished:
        data["cancel_url"] = url + "cancel/"
    if job.can_retry:
        data["retry_url"] = url + "retry/"
    if job.status == ExportJob.DONE:
        data.update(
            pdf_url=url + "evidence-pack.pdf",
            bundle_url=url + "evidence-bundle.zip",
            pdf_sha256=job.pdf_sha256,
            bundle_sha256=job.bundle_sha256,
            content_hash=job.content_hash,
            page_count=job.page_count,
            signing_kid=job.signing_kid,
        )
    return data


def _accepted(job: ExportJob, request: Request) -> Response:
    job.refresh_from_db()
    payload = job_payload(job, request)
    return Response(payload, status=status.HTTP_202_ACCEPTED, headers={"Location": payload["url"]})


START_DESCRIPTION = (
    "Renders, as a Celery job, a PDF evidence pack (cover, contents, diagram, facts and steps, PSF analysis, the "
    "latest finished simulation, and an appendix of SHA-256 hashes) and a signed ZIP bundle (the PDF, the JSON of "
    "everything in it, `manifest.json` and its Ed25519 signature `manifest.sig`, checked by `workflowos "
    "verify-bundle`). Answers 202 with the job; poll its `url` until `status` is `done` (then `pdf_url` and "
    "`bundle_url`) or `failed` (then `error`). 503 `queue_unavailable` when the job queue is down."
)


class WorkflowExportsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="workflow_exports_list",
        summary="Evidence packs that include a workflow",
        responses={200: JOB_LIST, 403: ERROR, 404: ERROR},
        tags=["evidence"],
    )
    def get(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        jobs = list(exports_for_workflow(workflow=wf)[:200])
        return Response({"count": len(jobs), "results": [job_payload(j, request) for j in jobs]})

    @extend_schema(
        operation_id="workflow_export_start",
        summary="Export a workflow's evidence (a background job)",
        description=START_DESCRIPTION + " The latest version is exported unless the body names `version`.",
        request=inline_serializer(
            "WorkflowExportRequest", fields={"version": serializers.IntegerField(required=False, min_value=1)}
        ),
        examples=[OpenApiExample("Latest version", value={}, request_only=True)],
        responses={202: JOB_RESPONSE, 400: ERROR, 403: ERROR, 404: ERROR, 503: ERROR},
        tags=["evidence"],
    )
    def post(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        body = _parse(WorkflowExportBody, request.data)
        try:
            version = version_get(workflow=wf, number=body.version)
        except Http404:
            raise DomainError(
                "No such version of this workflow.", [ErrorItem("version", "not found")]
            ) from None
        job = export_request(organisation=wf.organisation, user=request.user, versions=[version])
        return _accepted(job, request)


class ExportsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="exports_list",
        summary="The organisation's evidence packs",
        description="Newest first, every status. Finished packs can be attached as DSA evidence (kind `export`).",
        responses={200: JOB_LIST, 403: ERROR},
        tags=["evidence"],
    )
    def get(self, request: Request) -> Response:
        org = require_membership(request._request).organisation
        jobs = list(exports_for_organisation(org, done_only=False)[:200])
        return Response({"count": len(jobs), "results": [job_payload(j, request) for j in jobs]})

    @extend_schema(
        operation_id="export_start",
        summary="Export several workflows, or a DSA submission (a background job)",
        description=START_DESCRIPTION
        + f" Give either `workflows` (1 to {MAX_WORKFLOWS} ids of your organisation's workflows; their latest "
        "versions) or `submission` (the id of a DSA submission: its frozen scope, with the assessor's scores and "
        "decision where present).",
        request=inline_serializer(
            "ExportRequest",
            fields={
                "workflows": serializers.ListField(child=serializers.IntegerField(), required=False),
                "submission": serializers.IntegerField(required=False),
            },
        ),
        examples=[OpenApiExample("Two workflows", value={"workflows": [12, 15]}, request_only=True)],
        responses={202: JOB_RESPONSE, 400: ERROR, 403: ERROR, 404: ERROR, 503: ERROR},
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        body = _parse(ExportBody, request.data)
        if (body.workflows is None) == (body.submission is None):
            raise DomainError(
                "Give either workflows or a submission.",
                [ErrorItem("workflows", "give workflows or submission, not both or neither")],
            )
        if body.submission is not None:
            sub = access_submission_for_export(request._request, body.submission)
            job = export_submission(user=request.user, submission=sub)
            return _accepted(job, request)
        org = require_membership(request._request).organisation
        ids = list(dict.fromkeys(body.workflows or []))
        workflows = list(Workflow.objects.filter(organisation=org, pk__in=ids, deleted_at__isnull=True))
        if len(workflows) != len(ids):
            raise DomainError(
                "Only your organisation's workflows can be exported.",
                [ErrorItem("workflows", "unknown workflow")],
                status=404,
                code="not_found",
            )
        job = export_workflows(organisation=org, user=request.user, workflows=workflows)
        return _accepted(job, request)


class ExportDetailView(APIView):
    @extend_schema(
        operation_id="export_retrieve",
        summary="An export job: status, progress and, when done, the download URLs",
        responses={200: JOB_RESPONSE, 403: ERROR, 404: ERROR},
        tags=["evidence"],
    )
    def get(self, request: Request, export_id: int) -> Response:
        export_sweep_stale()  # a job whose worker died is reported as such, not "running" forever
        return Response(job_payload(access_export_by_id(request._request, export_id), request))


class ExportCancelView(APIView):
    @extend_schema(
        operation_id="export_cancel",
        summary="Cancel an export",
        description="A queued export is cancelled at once; a running one stops at its next step, before any file "
        "is stored (`cancel_requested` is true until it does). 409 once the export has finished.",
        request=None,
        responses={202: JOB_RESPONSE, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["evidence"],
    )
    def post(self, request: Request, export_id: int) -> Response:
        job = export_cancel(job=access_export_by_id(request._request, export_id))
        return Response(job_payload(job, request), status=status.HTTP_202_ACCEPTED)


class ExportRetryView(APIView):
    @extend_schema(
        operation_id="export_retry",
        summary="Run a failed or cancelled export again",
        description="Starts a new export of the same pinned workflow versions (or the same DSA submission) and "
        "answers 202 with the new job. 409 unless the export failed or was cancelled; 503 `queue_unavailable` "
        "when the job queue is down.",
        request=None,
        responses={202: JOB_RESPONSE, 403: ERROR, 404: ERROR, 409: ERROR, 503: ERROR},
        tags=["evidence"],
    )
    def post(self, request: Request, export_id: int) -> Response:
        job = access_export_by_id(request._request, export_id)
        return _accepted(export_retry(job=job, user=request.user), request)


class _ExportFileView(APIView):
    kind = "pdf"

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is a file whatever the client accepts; JSON is used only for errors.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request, export_id: int) -> HttpResponse:
        return file_response(access_export_by_id(request._request, export_id), self.kind)


class ExportPdfView(_ExportFileView):
    kind = "pdf"

    @extend_schema(
        operation_id="export_pdf",
        summary="Download the PDF evidence pack",
        responses={(200, "application/pdf"): FILE, 403: ERROR, 404: ERROR},
        tags=["evidence"],
    )
    def get(self, request: Request, export_id: int) -> HttpResponse:
        return super().get(request, export_id)


class ExportBundleView(_ExportFileView):
    kind = "zip"

    @extend_schema(
        operation_id="export_bundle",
        summary="Download the signed ZIP bundle",
        description="The PDF, the JSON of every artefact, pack.json, manifest.json (SHA-256 of every file) and "
        "manifest.sig (Ed25519, key in /.well-known/jwks.json). Check it with `workflowos verify-bundle FILE.zip "
        "--jwks https://<instance>/.well-known/jwks.json`.",
        responses={(200, "application/zip"): FILE, 403: ERROR, 404: ERROR},
        tags=["evidence"],
    )
    def get(self, request: Request, export_id: int) -> HttpResponse:
        return super().get(request, export_id)
