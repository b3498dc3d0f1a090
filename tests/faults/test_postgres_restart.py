"""PostgreSQL restarted (and then down for a few seconds) while simulations are queued and one is
running, under a real Celery worker (with beat) on a cluster of the test's own.

No job may end acknowledged-but-unrun or falsely failed: the running one loses its connection
mid-run and is retried; the queued ones, delivered while the database is down, are retried with
backoff instead of being acknowledged into ``OperationalError``. Every run ends ``done``.

Run: ``DJANGO_ENV=test .venv/bin/pytest tests/faults/test_postgres_restart.py -q`` (about 30 s).
"""

from __future__ import annotations

import time

import pytest

from tests.faults.data import SETUP, start_simulations
from tests.faults.servers import (
    CeleryWorker,
    PostgresCluster,
    RedisServer,
    app_env,
    manage,
    shell_json,
    wait_until,
)

pytestmark = [pytest.mark.integration]

PG_PORT = 18350
REDIS_PORT = 18302
RUNS = 4
N = 200_000  # about 2 s each on the long chain
DOWN_SECONDS = 5


def test_queued_and_running_jobs_all_finish_across_a_postgres_restart(work):
    pg = PostgresCluster(PG_PORT).init()
    redis = RedisServer(REDIS_PORT, work).start()
    worker = None
    env = app_env(
        work,
        database_url=pg.url(),
        redis_url=redis.url,
        WORKFLOWOS_JOB_SWEEP_SECONDS="5",
        WORKFLOWOS_JOB_REQUEUE_SECONDS="30",
    )

    def statuses() -> dict[int, tuple[str, int, str]]:
        rows = pg.query("SELECT id, status, progress_done, error FROM simulations_simulationrun ORDER BY id")
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def logs() -> str:
        return (worker.tail() if worker else "") + pg.tail()

    try:
        manage(env, "migrate", "-v0")
        ids = shell_json(env, SETUP)
        worker = CeleryWorker("pg-restart", env, work, beat=True).wait_ready()
        runs = shell_json(env, start_simulations(ids["heavy"], N, list(range(1, RUNS + 1))))
        assert len(runs) == RUNS

        # 1. A fast restart while the first run is half-way: its connection is cut mid-run.
        wait_until("the first run to make progress", lambda: statuses()[runs[0]][1] > 0, 60, logs)
        pg.restart()

        # 2. Down for a while with runs still queued: the worker takes them and cannot reach the
        #    database. They must be retried, not acknowledged away.
        wait_until(
            "a later run to be running",
            lambda: any(statuses()[r][0] == "running" for r in runs[1:]),
            90,
            logs,
        )
        pg.stop()
        time.sleep(DOWN_SECONDS)
        assert worker.alive(), logs()
        pg.start()

        final = wait_until(
            "every run to finish",
            lambda: (
                (s := statuses()) and all(v[0] in ("done", "failed", "cancelled") for v in s.values()) and s
            ),
            180,
            logs,
        )
        assert {run: final[run][0] for run in runs} == dict.fromkeys(runs, "done"), final
        assert all(final[run][1] == N for run in runs)
        retried = pg.query(
            f"SELECT count(*) FROM simulations_simulationrun WHERE attempts > 1 AND id IN {tuple(runs)}"
        )
        assert retried[0][0] >= 1  # at least the run cut mid-way was started again
        assert worker.alive()
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()
        pg.destroy()
