"""Redis down for 30 s, then back, under a real gunicorn and a real Celery worker.

- The worker does not exit: it keeps reconnecting and, once Redis is back, runs the next job (the
  same process, same pid). A run that was running when Redis went away finishes; a run that was
  waiting in Redis (lost with it: no persistence) is published again by the sweep (beat).
- Starting a job during the outage answers 503 ``queue_unavailable`` with a clear message, whether
  Redis is gone or hung (SIGSTOP: connections accepted, never answered); publishing never hangs
  (the request has a 20 s client timeout). The attempt is kept, visibly failed ("queue
  unavailable"), never lost.

Run: ``DJANGO_ENV=test .venv/bin/pytest tests/faults/test_redis_outage.py -q`` (about 60 s).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.servers import CeleryWorker, RedisServer, Web, app_env, wait_until
from tests.simulations.test_worker_integration import heavy_workflow
from tests.simulations.worker import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_PORT = 18301
WEB_PORT = 18310
OUTAGE_SECONDS = 30
CLIENT_TIMEOUT = 20  # a start that hangs longer than this fails the test


def run_row(run_id: int) -> Any:
    from simulations.models import SimulationRun

    return SimulationRun.objects.get(pk=run_id)


def test_workers_ride_out_a_redis_outage_and_starts_during_it_answer_503(instance, work):
    heavy = heavy_workflow(instance.personas).pk
    redis = RedisServer(REDIS_PORT, work).start()
    env = app_env(
        work,
        database_url=database_url(),
        redis_url=redis.url,
        WORKFLOWOS_JOB_REQUEUE_SECONDS=str(OUTAGE_SECONDS - 10),
        WORKFLOWOS_JOB_SWEEP_SECONDS="5",
    )
    web = worker = None
    try:
        web = Web(WEB_PORT, env, work)
        worker = CeleryWorker("outage", env, work, beat=True).wait_ready()
        pid = worker.pid
        wf = instance.workflow.pk

        def start(workflow: int = wf, **body: Any) -> tuple[int, Any]:
            return web.json(
                "POST",
                f"/api/workflows/{workflow}/simulations/",
                token=instance.token,
                body=body,
                timeout=CLIENT_TIMEOUT,
            )

        def finished(run_id: int) -> Any:
            return wait_until(
                f"simulation {run_id} to finish",
                lambda: (r := run_row(run_id)).status in ("done", "failed", "cancelled") and r,
                120,
                lambda: worker.tail() + web.server.tail(),
            )

        status, before = start(n=2_000, seed=1)
        assert status == 202, before
        assert finished(before["id"]).status == "done"

        # A long run on the worker, and one waiting behind it in Redis.
        status, running = start(heavy, n=1_000_000, seed=5)
        assert status == 202, running
        wait_until(
            "the long run to make progress", lambda: run_row(running["id"]).progress_done > 0, 60, worker.tail
        )
        status, waiting = start(n=2_000, seed=6)
        assert status == 202 and run_row(waiting["id"]).status == "queued", waiting

        # --- Redis goes away for 30 s: gone (connections refused), then hung (a fresh server that
        #     accepts connections and never answers), then gone again ---
        redis.stop()
        went_down = time.monotonic()
        status, refused = start(n=2_000, seed=2)
        assert status == 503, refused
        assert refused["error"] == "queue_unavailable"
        assert "job queue is unavailable" in refused["message"] and "Nothing was lost" in refused["message"]
        status, export = web.json(
            "POST", f"/api/workflows/{wf}/exports/", token=instance.token, body={}, timeout=CLIENT_TIMEOUT
        )
        assert status == 503 and export["error"] == "queue_unavailable", export

        redis.start()
        redis.hang()
        status, hung = start(n=2_000, seed=4)
        assert status == 503 and hung["error"] == "queue_unavailable", hung

        # The refused attempts are kept, visibly failed, not lost.
        from evidence.models import ExportJob
        from simulations.models import SimulationRun

        kept = SimulationRun.objects.filter(pk__gt=waiting["id"])
        assert [(r.status, r.failure) for r in kept] == [("failed", "queue_unavailable")] * 2
        status, shown = web.json("GET", f"/api/simulations/{kept[0].pk}/", token=instance.token)
        assert status == 200 and shown["failure"] == "queue_unavailable" and "unavailable" in shown["error"]
        assert ExportJob.objects.get().failure == "queue_unavailable"

        while time.monotonic() - went_down < OUTAGE_SECONDS:
            assert worker.alive(), "the worker exited during the Redis outage:\n" + worker.tail()
            time.sleep(1)
        redis.stop()

        # --- Redis is back (empty: a restart without persistence) ---
        redis.start()
        status, after = start(n=2_000, seed=3)
        assert status == 202, after
        done = finished(after["id"])
        assert done.status == "done", done.error
        assert finished(running["id"]).status == "done"  # it ran on through the outage
        assert finished(waiting["id"]).status == "done"  # its lost message was published again
        assert worker.alive() and worker.pid == pid  # the same worker process, not a restart
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
        redis.stop()
