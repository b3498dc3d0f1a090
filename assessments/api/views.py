"""Read API of the Deployment Safety Assessment: the organisation's assessments and the
assessors' review queue. Token or session auth; the same access rules as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import active_membership, is_assessor, require_membership
from core.pagination import page_params

from ..access import access_assessment_for_assessor
from ..models import Assessment
from ..selectors import QUEUE_GROUPS, QUEUE_SORTS, QueueFilters, assessment_list, queue_queryset, sla_due_of
from .serializers import AssessmentDetailSerializer, AssessmentListSerializer

ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description='`{"error": code, "message": text, "errors": [{"path", "message"}]}`'
)


def _page(request: Request) -> tuple[int, int]:
    return page_params(request, max_limit=500)


def summary(a: Assessment, request: Request, *, side: str) -> dict[str, Any]:
    due = sla_due_of(a)
    path = f"/assessments/{a.pk}/" if side == "organisation" else f"/review/{a.pk}/"
    return {
        "id": a.pk,
        "reference": a.reference,
        "organisation": a.organisation.name,
        "status": a.status,
        "status_label": a.get_status_display(),
        "expedited": a.expedited,
        "size_tier": a.size_tier,
        "assessor": a.assessor.email if a.assessor else None,
        "applied_at": a.applied_at,
        "acknowledge_due": a.acknowledge_due,
        "submitted_at": a.submitted_at,
        "review_due": a.review_due,
        "decided_at": a.decided_at,
        "sla": {
            "due": due.due,
            "days_left": due.days_left,
            "overdue": due.overdue,
            "paused": due.paused,
            "label": due.label,
        },
        "url": request.build_absolute_uri(path),
    }


def detail(a: Assessment, request: Request, *, side: str) -> dict[str, Any]:
    evidence = []
    for i in a.evidence.filter(removed_at__isnull=True).order_by("criterion", "created"):
        evidence.append(
            {
                "id": i.pk,
                "criterion": i.criterion,
                "kind": i.kind,
                "title": i.title,
                "note": i.note,
                "url": i.url,
                "original_name": i.original_name,
                "content_type": i.content_type,
                "size": i.size,
                "sha256": i.sha256,
                "ref": f"{i.ref_type}:{i.ref_id}" if i.ref_id else None,
                "download_url": request.build_absolute_uri(f"/assessments/{a.pk}/evidence/{i.pk}/download/")
                if i.kind == "file"
                else None,
                "created": i.created,
            }
        )
    return {
        **summary(a, request, side=side),
        "rubric_version": a.rubric_version.key,
        "systems_description": a.systems_description,
        "scope_summary": a.scope_summary,
        "scope_workflows": [
            {"id": w.pk, "name": w.name, "head_version": w.head_number}
            for w in a.scope_workflows.order_by("name")
        ],
        "timeline": a.timeline,
        "target_date": a.target_date,
        "checklist": a.checklist,
        "evidence": evidence,
        "submissions": [
            {"number": s.number, "created": s.created, "snapshot_hash": s.snapshot_hash}
            for s in a.submissions.order_by("number")
        ],
        "domain_scores": a.domain_scores if a.status in (Assessment.PASSED, Assessment.FAILED) else {},
        "computed_passed": a.computed_passed,
        "decision_overridden": a.decision_overridden,
        "reassessment_of": a.reassessment_of.reference
        if a.reassessment_of_id and a.reassessment_of
        else None,
        "reassessment_deadline": a.reassessment_deadline,
        "has_gap_report": a.status == Assessment.FAILED and hasattr(a, "gap_report"),
    }


class AssessmentListView(APIView):
    @extend_schema(
        summary="Assessments of the active organisation",
        description="Members of an organisation (select it with `X-Organisation: <slug>`). Newest first.",
        operation_id="assessments_list",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: AssessmentListSerializer, 401: ERROR, 403: ERROR},
        tags=["assessments"],
    )
    def get(self, request: Request) -> Response:
        org = require_membership(request._request).organisation
        limit, offset = _page(request)
        qs = assessment_list(organisation=org).select_related("organisation")
        rows = [summary(a, request, side="organisation") for a in qs[offset : offset + limit]]
        return Response(
            AssessmentListSerializer(
                {"count": qs.count(), "limit": limit, "offset": offset, "results": rows}
            ).data
        )


class AssessmentDetailView(APIView):
    @extend_schema(
        summary="One assessment",
        description=(
            "For members of the assessment's organisation, its assigned assessor and platform admins; "
            "another organisation gets 404. The gap report is never part of this API."
        ),
        operation_id="assessments_retrieve",
        responses={200: AssessmentDetailSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["assessments"],
    )
    def get(self, request: Request, assessment_id: int) -> Response:
        django_request = request._request
        membership = active_membership(django_request)
        a = (
            Assessment.objects.select_related("organisation", "assessor", "rubric_version", "reassessment_of")
            .filter(pk=assessment_id)
            .first()
        )
        if membership is not None and a is not None and a.organisation_id == membership.organisation_id:
            return Response(AssessmentDetailSerializer(detail(a, request, side="organisation")).data)
        if is_assessor(django_request.user):
            a = access_assessment_for_assessor(django_request, assessment_id)
            if a.assessor_id != django_request.user.pk and not django_request.user.is_staff:
                raise Http404(
                    "No such assessment."
                )  # unassigned: the queue shows it, the detail waits for a claim
            return Response(AssessmentDetailSerializer(detail(a, request, side="assessor")).data)
        if membership is None:
            raise PermissionDenied("You are not a member of any organisation.")
        raise Http404("No such assessment.")


class ReviewQueueView(APIView):
    @extend_schema(
        summary="The assessors' review queue",
        description="Platform assessors only. Each row carries its SLA due date in business days (`sla`).",
        operation_id="review_queue",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=list(QUEUE_GROUPS),
                description="A status or a group (default `action`: needs an assessor).",
            ),
            OpenApiParameter("assignee", str, description="`me`, `none` or an assessor's user id."),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("expedited", bool),
            OpenApiParameter("sort", str, enum=list(QUEUE_SORTS)),
            OpenApiParameter("q", str, description="Organisation name or DSA reference."),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: AssessmentListSerializer, 401: ERROR, 403: ERROR},
        tags=["assessments"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not is_assessor(user):
            raise PermissionDenied("Only a platform assessor can read the review queue.")
        filters = QueueFilters.from_params(request.query_params)
        limit, offset = _page(request)
        qs = queue_queryset(user=user, filters=filters)  # type: ignore[arg-type]
        rows = [summary(a, request, side="assessor") for a in qs[offset : offset + limit]]
        return Response(
            AssessmentListSerializer(
                {"count": qs.count(), "limit": limit, "offset": offset, "results": rows}
            ).data
        )
