"""Access helpers for simulated runs: every simulation view and endpoint starts here."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.access import require_membership
from studio.access import access_workflow_by_id

from .models import SimulationRun
from .selectors import simulation_get


def access_simulation_by_id(
    request: HttpRequest, run_id: int, *, workflow_id: int | None = None
) -> SimulationRun:
    """The run, if it belongs to the request's active organisation (and to ``workflow_id`` when
    given); else 404 (403 without any membership)."""
    if workflow_id is not None:
        wf = access_workflow_by_id(request, workflow_id)
        return simulation_get(organisation=wf.organisation, run_id=run_id, workflow=wf)
    membership = require_membership(request)
    return simulation_get(organisation=membership.organisation, run_id=run_id)
