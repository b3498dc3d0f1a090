"""Access helpers for imported results: members of the workflow's organisation only."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.access import require_membership
from studio.access import access_workflow_by_id

from .models import ImportedResult
from .selectors import result_get


def access_result_by_id(
    request: HttpRequest, result_id: int, *, workflow_id: int | None = None
) -> ImportedResult:
    """The import if it belongs to the active organisation (and to ``workflow_id`` when given);
    else 404 (403 without any membership)."""
    membership = require_membership(request)
    workflow = access_workflow_by_id(request, workflow_id) if workflow_id is not None else None
    return result_get(organisation=membership.organisation, result_id=result_id, workflow=workflow)
