"""Access helpers for studio objects: every studio view and endpoint starts here."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.access import require_membership

from .models import Workflow
from .selectors import workflow_get


def access_workflow_by_id(request: HttpRequest, workflow_id: int) -> Workflow:
    """The workflow, if it belongs to the request's active organisation; else 404 (403 without
    any membership)."""
    membership = require_membership(request)
    return workflow_get(organisation=membership.organisation, workflow_id=workflow_id)
