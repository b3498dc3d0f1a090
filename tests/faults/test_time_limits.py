"""Task time limits on a real prefork worker (the pool that enforces them): a simulation and an
export that run past their soft limit (set to a few seconds through the environment) stop and end
failed with a message that names the limit; the worker carries on with the next job.

Run: ``DJANGO_ENV=test .venv/bin/pytest tests/faults/test_time_limits.py -q`` (about 20 s).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.servers import CeleryWorker, RedisServer, Web, app_env, wait_until
from tests.simulations.test_worker_integration import heavy_workflow
from tests.simulations.worker import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_PORT = 18304
WEB_PORT = 18313


def finished(model: Any, pk: int, worker: CeleryWorker) -> Any:
    return wait_until(
        f"{model.__name__} {pk} to finish",
        lambda: (r := model.objects.get(pk=pk)).status in ("done", "failed", "cancelled") and r,
        120,
        worker.tail,
    )


def test_the_soft_time_limit_ends_a_job_failed_saying_so(instance, work):
    from evidence.models import ExportJob
    from simulations.models import SimulationRun

    heavy = heavy_workflow(instance.personas)
    redis = RedisServer(REDIS_PORT, work).start()
    env = app_env(
        work,
        database_url=database_url(),
        redis_url=redis.url,
        SIMULATION_SOFT_TIME_LIMIT="2",
        SIMULATION_HARD_TIME_LIMIT="20",
        EXPORT_SOFT_TIME_LIMIT="1",
        EXPORT_HARD_TIME_LIMIT="20",
    )
    web = worker = None
    try:
        web = Web(WEB_PORT, env, work)
        worker = CeleryWorker("limits", env, work, pool="prefork").wait_ready()

        def start(path: str, body: Any) -> int:
            status, data = web.json("POST", path, token=instance.token, body=body)
            assert status == 202, data
            return int(data["id"])

        # About ten seconds of work against a two-second limit.
        run = finished(
            SimulationRun, start(f"/api/workflows/{heavy.pk}/simulations/", {"n": 1_000_000}), worker
        )
        assert run.status == "failed" and run.failure == "time_limit", run.error
        assert run.error.startswith("The simulation ran longer than its time limit (2 s) and was stopped.")
        assert 0 < run.progress_done < 1_000_000

        export = finished(ExportJob, start(f"/api/workflows/{instance.workflow.pk}/exports/", {}), worker)
        assert export.status == "failed" and export.failure == "time_limit", export.error
        assert export.error.startswith("The export ran longer than its time limit (1 s) and was stopped.")

        # The worker carries on: a short run finishes within the limit.
        small = finished(
            SimulationRun, start(f"/api/workflows/{instance.workflow.pk}/simulations/", {"n": 2_000}), worker
        )
        assert small.status == "done", small.error
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
        redis.stop()
