"""Reads for the studio. Every read is scoped to an organisation: another organisation's
workflow is simply not found."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Organisation

from .models import Workflow, WorkflowVersion

SORTS = {
    "updated": "-updated",
    "-updated": "updated",
    "name": "name",
    "-name": "-name",
    "created": "-created",
    "-created": "created",
}


def workflow_list(
    *, organisation: Organisation, query: str = "", sort: str = "updated"
) -> QuerySet[Workflow]:
    qs = Workflow.objects.filter(organisation=organisation, deleted_at__isnull=True).select_related(
        "created_by"
    )
    if query:
        qs = qs.filter(Q(name__icontains=query[:100]) | Q(description__icontains=query[:100]))
    return qs.order_by(SORTS.get(sort, "-updated"), "pk")


def workflow_get(*, organisation: Organisation, workflow_id: int) -> Workflow:
    wf = Workflow.objects.filter(organisation=organisation, pk=workflow_id, deleted_at__isnull=True).first()
    if wf is None:
        raise Http404("No such workflow in this organisation.")
    return wf


def version_get(*, workflow: Workflow, number: int | None = None) -> WorkflowVersion:
    n = workflow.head_number if number is None else number
    v = workflow.versions.select_related("author").filter(number=n).first()
    if v is None:
        raise Http404(f"Workflow {workflow.pk} has no version {n}.")
    return v


def version_list(*, workflow: Workflow) -> QuerySet[WorkflowVersion]:
    return workflow.versions.select_related("author").defer("document").order_by("-number")
