"""Simulation REST API: start a run of a workflow (a Celery job: 202 + the job URL), follow its
progress, cancel it, fetch the report and download the journal. Scoped to the active organisation
like the studio API (``X-Organisation: <slug>`` selects one)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, ValidationError
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import page_params
from core.parsers import JSONParser
from lib.errors import DomainError, ErrorItem, pydantic_path
from simulator.params import MAX_REQUESTS
from studio.access import access_workflow_by_id
from studio.api.views import ERROR
from studio.selectors import version_get

from .. import downloads
from ..access import access_simulation_by_id
from ..models import SimulationRun
from ..presenters import reproduce_command
from ..selectors import simulation_list
from ..services import simulation_cancel, simulation_start

JOB = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The job: `status` (queued, running, done, failed, cancelled), `progress`, the inputs that reproduce it, "
    "and when done `passed`, `summary`, `verdict`, `report` (workflowos.simulation-report/v1) and `journal_url`.",
)


class StartRequest(BaseModel):
    """The body of POST /api/workflows/{id}/simulations/."""

    model_config = ConfigDict(extra="forbid", strict=True)

    n: int = 10_000
    seed: int | None = None
    version: int | None = None
    params: dict[str, Any] | None = None


def _parse_start(data: Any) -> StartRequest:
    if data is None or data == {}:
        return StartRequest()
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.", [ErrorItem("", "expected a JSON object")])
    try:
        return StartRequest.model_validate(data)
    except ValidationError as exc:
        raise DomainError(
            "The simulation request is not valid.",
            [ErrorItem(pydantic_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)],
        ) from None


def run_payload(run: SimulationRun, request: Request, *, include_report: bool = True) -> dict[str, Any]:
    url = request.build_absolute_uri(f"/api/simulations/{run.pk}/")
    data: dict[str, Any] = {
        "id": run.pk,
        "url": url,
        "page_url": request.build_absolute_uri(f"/studio/{run.workflow_id}/simulations/{run.pk}/"),
        "workflow": run.workflow_id,
        "version": run.version.number,
        "workflow_hash": run.workflow_hash,
        "catalogue_version": run.catalogue_version,
        "seed": run.seed,
        "n": run.n,
        "params": run.params,
        "status": run.status,
        "progress": {"done": run.progress_done, "total": run.n, "percent": run.progress_percent},
        "cancel_requested": run.cancel_requested,
        "created": run.created.isoformat(),
        "started": run.started.isoformat() if run.started else None,
        "finished": run.finished.isoformat() if run.finished else None,
        "created_by": run.created_by.email if run.created_by else None,
        "attempts": run.attempts,
        "error": run.error or None,
        "failure": run.failure or None,
        "passed": run.passed,
        "report_hash": run.report_hash or None,
        "reproduce": reproduce_command(run)[0],
    }
    if run.status == SimulationRun.DONE:
        data["journal_url"] = url + "journal/"
        data["journal_sha256"] = run.journal_hash
        if include_report and run.report:
            data["summary"] = run.report["summary"]
            data["verdict"] = run.report["verdict"]
            data["report"] = run.report
    return data


class WorkflowSimulationsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="workflow_simulations_list",
        summary="Simulated runs of a workflow",
        description="Newest first, without the full reports (fetch a run for its report). Runs are kept as evidence.",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR},
        tags=["simulations"],
    )
    def get(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        limit, offset = page_params(request)
        qs = simulation_list(workflow=wf)
        rows = [run_payload(r, request, include_report=False) for r in qs[offset : offset + limit]]
        return Response(
            {"workflow": wf.pk, "count": qs.count(), "limit": limit, "offset": offset, "results": rows}
        )

    @extend_schema(
        operation_id="workflow_simulation_start",
        summary="Start a simulated run (a background job)",
        description=(
            "Pushes N seeded synthetic requests (benign traffic, injections, PII, faults, …) through a version of the "
            f"workflow (default: the latest) as a Celery job. N is 1 to {MAX_REQUESTS:,}; the seed is drawn at random "
            "when omitted and recorded either way. `params` holds `tolerances` (`max_escape_rate`, `min_availability`, "
            "`max_p99_latency_ms`, `max_false_positive_rate`, `max_domain_escape_rate`), `scenario_weights`, "
            "`node_overrides` and `vendor_overrides`. Answers 202 with the job (its URL in `url` and `Location`); "
            "503 `queue_unavailable` when the job queue is down (the attempt is kept, marked failed)."
        ),
        request=OpenApiTypes.OBJECT,
        examples=[
            OpenApiExample(
                "Ten thousand requests with tolerances",
                value={
                    "n": 10000,
                    "seed": 42,
                    "params": {"tolerances": {"max_escape_rate": 0.01, "min_availability": 0.995}},
                },
                request_only=True,
            )
        ],
        responses={202: JOB, 400: ERROR, 403: ERROR, 404: ERROR, 503: ERROR},
        tags=["simulations"],
    )
    def post(self, request: Request, workflow_id: int) -> Response:
        wf = access_workflow_by_id(request._request, workflow_id)
        body = _parse_start(request.data)
        version = None
        if body.version is not None:
            try:
                version = version_get(workflow=wf, number=body.version)
            except Http404:
                raise DomainError(
                    "No such version of this workflow.", [ErrorItem("version", "not found")]
                ) from None
        run = simulation_start(
            workflow=wf, user=request.user, n=body.n, seed=body.seed, params=body.params, version=version
        )
        payload = run_payload(run, request)
        return Response(payload, status=status.HTTP_202_ACCEPTED, headers={"Location": payload["url"]})


@extend_schema(
    operation_id="simulation_retrieve",
    summary="A simulated run: status, progress and result",
    responses={200: JOB, 403: ERROR, 404: ERROR},
    tags=["simulations"],
)
@api_view(["GET"])
def simulation_detail(request: Request, run_id: int) -> Response:
    run = access_simulation_by_id(request._request, run_id)
    return Response(run_payload(run, request))


@extend_schema(
    operation_id="simulation_cancel",
    summary="Cancel a simulated run",
    description="A queued run is cancelled at once; a running one stops before its next batch of requests "
    "(`cancel_requested` is true until it does). 409 once the run has finished.",
    request=None,
    responses={202: JOB, 403: ERROR, 404: ERROR, 409: ERROR},
    tags=["simulations"],
)
@api_view(["POST"])
def simulation_cancel_api(request: Request, run_id: int) -> Response:
    run = simulation_cancel(run=access_simulation_by_id(request._request, run_id))
    return Response(run_payload(run, request), status=status.HTTP_202_ACCEPTED)


@extend_schema(
    operation_id="simulation_journal",
    summary="The journal of a simulated run (JSON Lines)",
    description='One JSON object per request, in request order: `{"caught_by","domain","index","latency_ms","outcome","scenario"}`. '
    "Sent gzip-encoded to clients that accept it. `X-Journal-SHA256` is the SHA-256 of the uncompressed lines. "
    "404 until the run is done.",
    responses={(200, "application/jsonl"): OpenApiTypes.STR, 403: ERROR, 404: ERROR},
    tags=["simulations"],
)
@api_view(["GET"])
def simulation_journal_api(request: Request, run_id: int) -> HttpResponseBase:
    run = access_simulation_by_id(request._request, run_id)
    return downloads.journal_response(request._request, run)
