"""Reads of imported results, always scoped to an organisation."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Organisation
from studio.models import Workflow

from .models import ImportedResult


def result_list(*, workflow: Workflow) -> QuerySet[ImportedResult]:
    """A workflow's imports, newest first."""
    return ImportedResult.objects.filter(workflow=workflow).select_related("version", "created_by")


def result_get(
    *, organisation: Organisation, result_id: int, workflow: Workflow | None = None
) -> ImportedResult:
    """One import of the organisation (of ``workflow`` when given); 404 otherwise."""
    qs = ImportedResult.objects.filter(
        organisation=organisation, pk=result_id, workflow__deleted_at__isnull=True
    ).select_related("version", "workflow", "created_by")
    if workflow is not None:
        qs = qs.filter(workflow=workflow)
    result = qs.first()
    if result is None:
        raise Http404("No such imported result in this organisation.")
    return result
