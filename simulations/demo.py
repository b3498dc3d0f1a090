"""Demo simulations: one finished run per Acme AI workflow, executed synchronously through the same
service the Celery task calls."""

from __future__ import annotations

from studio.models import Workflow

from .models import SimulationRun
from .services import simulation_execute, simulation_start

DEMO_REQUESTS = 20_000
DEMO_SEED = 20_260_101


def seed(log: list[str]) -> None:
    for wf in Workflow.objects.filter(organisation__slug="acme-ai", deleted_at__isnull=True).order_by("pk"):
        if SimulationRun.objects.filter(workflow=wf, status=SimulationRun.DONE).exists():
            continue
        run = simulation_start(
            workflow=wf, user=wf.created_by, n=DEMO_REQUESTS, seed=DEMO_SEED, enqueue=False
        )
        done = simulation_execute(run_id=run.pk)
        verdict = "pass" if done and done.passed else "fail"
        log.append(f"simulation of {wf.name} ({DEMO_REQUESTS:,} requests, {verdict})")
