"""A Celery worker SIGKILLed mid-simulation and another mid-export ("Running 30 %"): the periodic
sweep (beat, in a second worker) settles both within 2 minutes as failed with "The worker
stopped … Run it again", without anybody reading them, and the export's retry (API, real gunicorn)
runs to done on the surviving worker.

The heartbeat limit is set short through the environment (``WORKFLOWOS_JOB_STALE_SECONDS``).

Run: ``DJANGO_ENV=test .venv/bin/pytest tests/faults/test_worker_killed.py -q`` (about 45 s).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.servers import CeleryWorker, RedisServer, Web, app_env, wait_until
from tests.simulations.test_worker_integration import heavy_workflow
from tests.simulations.worker import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_PORT = 18303
WEB_PORT = 18312
SETTLE_WITHIN = 120


def row(model: Any, pk: int) -> Any:
    return model.objects.get(pk=pk)


def test_jobs_of_a_killed_worker_are_settled_by_the_sweep_and_run_again(instance, work):
    from evidence.models import ExportJob
    from simulations.models import SimulationRun
    from studio.services import workflow_from_template

    personas = instance.personas
    heavy = heavy_workflow(personas)
    pack = [instance.workflow] + [
        workflow_from_template(organisation=personas.acme, author=personas.pat, slug=slug, name=name)
        for slug, name in (("document-extraction", "Invoices"), ("high-stakes-decision", "Credit limits"))
    ]
    redis = RedisServer(REDIS_PORT, work).start()
    env = app_env(
        work,
        database_url=database_url(),
        redis_url=redis.url,
        WORKFLOWOS_JOB_STALE_SECONDS="6",
        WORKFLOWOS_JOB_SWEEP_SECONDS="3",
    )
    web = doomed = survivor = None
    try:
        web = Web(WEB_PORT, env, work)

        def api(method: str, path: str, body: Any = None) -> Any:
            status, data = web.json(method, path, token=instance.token, body=body)
            assert status in (200, 202), (status, data)
            return data

        # 1. Killed mid-simulation.
        doomed = CeleryWorker("doomed-1", env, work).wait_ready()
        run = api("POST", f"/api/workflows/{heavy.pk}/simulations/", {"n": 1_000_000, "seed": 9})
        wait_until(
            "the run to make progress",
            lambda: row(SimulationRun, run["id"]).progress_done > 0,
            60,
            doomed.tail,
        )
        doomed.kill()
        assert row(SimulationRun, run["id"]).status == "running"
        sim_killed_at = time.monotonic()

        # 2. Killed mid-export, at "Running 30 %" (laying out the pages).
        doomed = CeleryWorker("doomed-2", env, work).wait_ready()
        export = api("POST", "/api/exports/", {"workflows": [wf.pk for wf in pack]})
        wait_until(
            "the export to lay out its pages",
            lambda: row(ExportJob, export["id"]).progress >= 30,
            90,
            doomed.tail,
        )
        doomed.kill()
        stuck = row(ExportJob, export["id"])
        assert stuck.status == "running" and stuck.progress < 100
        export_killed_at = time.monotonic()

        # 3. A surviving worker with beat: its sweep settles both, with nobody reading them.
        survivor = CeleryWorker("survivor", env, work, beat=True).wait_ready()
        settled_run = wait_until(
            "the run to be settled",
            lambda: (r := row(SimulationRun, run["id"])).status != "running" and r,
            SETTLE_WITHIN - (time.monotonic() - sim_killed_at),
            survivor.tail,
        )
        assert settled_run.status == "failed" and settled_run.failure == "worker_stopped"
        assert settled_run.error.startswith("The worker stopped while running this simulation")
        settled_export = wait_until(
            "the export to be settled",
            lambda: (j := row(ExportJob, export["id"])).status != "running" and j,
            SETTLE_WITHIN - (time.monotonic() - export_killed_at),
            survivor.tail,
        )
        assert settled_export.status == "failed" and settled_export.failure == "worker_stopped"
        assert settled_export.error.startswith("The worker stopped while making this export")

        # 4. The API offers the retry; it runs to done on the survivor.
        shown = api("GET", f"/api/exports/{export['id']}/")
        assert shown["status"] == "failed" and shown["retry_url"].endswith("/retry/")
        again = api("POST", f"/api/exports/{export['id']}/retry/")
        assert again["id"] != export["id"]
        done = wait_until(
            "the retried export to finish",
            lambda: (j := row(ExportJob, again["id"])).status in ("done", "failed") and j,
            120,
            survivor.tail,
        )
        assert done.status == "done", done.error
        assert {v.pk for v in done.versions.all()} == {v.pk for v in stuck.versions.all()}
    finally:
        for process in (survivor, doomed, web):
            if process is not None:
                process.stop()
        redis.stop()
