"""Reads of simulated runs, scoped to an organisation. Each read first settles runs whose worker
died (see ``simulation_sweep_stale``), so a page never shows a dead run as "running"."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation
from core.models import WorkerHeartbeat
from studio.models import Workflow

from .models import SimulationRun
from .services import simulation_sweep_stale

WORKER_SEEN_SECONDS = 30


def simulation_list(*, workflow: Workflow) -> QuerySet[SimulationRun]:
    """The runs of a workflow, newest first, without their (large) report but with its headline
    figures (``escape_rate``, ``availability``)."""
    simulation_sweep_stale()
    return (
        SimulationRun.objects.filter(workflow=workflow)
        .select_related("version", "created_by")
        .defer("report")
        .annotate(
            escape_rate=Cast(KT("report__summary__escape_rate"), FloatField()),
            availability=Cast(KT("report__summary__availability"), FloatField()),
        )
        .order_by("-created", "-pk")
    )


def simulation_get(
    *, organisation: Organisation, run_id: int, workflow: Workflow | None = None
) -> SimulationRun:
    """One run of the organisation (and of ``workflow`` when given); 404 otherwise, so another
    organisation's runs are not revealed."""
    simulation_sweep_stale()
    qs = SimulationRun.objects.select_related("workflow", "version", "created_by").filter(
        organisation=organisation, pk=run_id, workflow__deleted_at__isnull=True
    )
    if workflow is not None:
        qs = qs.filter(workflow=workflow)
    run = qs.first()
    if run is None:
        raise Http404("No such simulation in this organisation.")
    return run


def worker_seen_recently() -> bool:
    """Whether a Celery worker has reported in lately (queued runs wait for one)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True
    cutoff = timezone.now() - timedelta(seconds=WORKER_SEEN_SECONDS)
    return WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).exists()
