"""Simulated runs on a REAL Celery worker (a subprocess of `celery -A workflowos worker`): a run end
to end, a cancel mid-run, and a worker killed with SIGKILL mid-run, which must leave the run
visibly failed (or re-queued), never "running" forever.

The worker uses the same broker as this process (the file-system broker under var/test by
default, Redis when REDIS_URL is set) and the test database (the SQLite test file, or PostgreSQL's
test_<name>). Every wait is bounded; the subprocess is always stopped.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.simulations.worker import ROOT, Worker, database_url, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings: Any, tmp_path: Path) -> Iterator[Worker]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    w = Worker(Path(settings.MEDIA_ROOT), tmp_path / "worker.log")
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def heavy_workflow(personas: Any, groups: int = 100) -> Any:
    """A long chain of controlled model calls: a million requests take many seconds, so a cancel
    or a kill lands mid-run even on a busy two-core machine."""
    from studio.format import parse_document
    from studio.services import workflow_create

    nodes = [{"id": "in", "type": "user_input", "label": "Input"}]
    for i in range(groups):
        nodes += [
            {"id": f"flt{i}", "type": "injection_filter", "label": f"Filter {i}"},
            {
                "id": f"llm{i}",
                "type": "llm_call",
                "label": f"Model {i}",
                "config": {
                    "vendor": "openai",
                    "model": "gpt-4o",
                    "model_version": "2024-08-06",
                    "timeout_ms": 3000,
                },
            },
            {"id": f"val{i}", "type": "output_validator", "label": f"Validator {i}"},
        ]
    nodes.append({"id": "out", "type": "response", "label": "Reply"})
    edges = [
        {"id": f"e{i}", "from": a["id"], "to": b["id"], "kind": "data"}
        for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    doc = {
        "format": "workflowos.workflow/v1",
        "name": "Long chain",
        "facts": {"personal_data": False, "stakes": "low", "audience": "external", "regulated": False},
        "nodes": nodes,
        "edges": edges,
    }
    return workflow_create(organisation=personas.acme, author=personas.pat, document=parse_document(doc))


def row(run_id: int) -> Any:
    from simulations.models import SimulationRun

    return SimulationRun.objects.get(pk=run_id)


def test_real_worker_runs_cancels_and_survives_a_kill(personas, worker, settings):
    from lib.canonical import canonical_json, sha256_hex
    from simulations.selectors import simulation_get
    from simulations.services import journal_path, simulation_cancel, simulation_start
    from simulator.engine import simulate
    from studio.format import parse_document
    from studio.services import workflow_from_template

    # 1. End to end: queued through the broker, run by the worker, stored; same bytes as in-process.
    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Assistant"
    )
    run = simulation_start(workflow=wf, user=personas.pat, n=100_000, seed=2026)
    assert run.task_id
    done = wait_for(
        "the run to finish", lambda: (r := row(run.pk)).status in ("done", "failed") and r, worker
    )
    assert done.status == "done", done.error
    assert done.progress_done == 100_000 and done.attempts == 1
    expected = simulate(parse_document(done.version.document), n=100_000, seed=2026, params=done.params)
    assert done.report_hash == sha256_hex(canonical_json(expected.to_data()))
    assert journal_path(done.journal_name).is_file()

    # 2. Cancel mid-run: the worker stops before its next chunk.
    heavy = heavy_workflow(personas)
    run = simulation_start(workflow=heavy, user=personas.pat, n=1_000_000, seed=1)
    wait_for("progress", lambda: row(run.pk).progress_done > 0, worker)
    simulation_cancel(run=row(run.pk))
    cancelled = wait_for(
        "the cancel", lambda: (r := row(run.pk)).status != "running" and r, worker, timeout=60
    )
    assert cancelled.status == "cancelled"
    assert 0 < cancelled.progress_done < 1_000_000
    assert cancelled.report is None

    # 3. SIGKILL mid-run: the run must end visibly failed (or re-queued), never running forever.
    settings.SIMULATION_STALE_SECONDS = 5
    run = simulation_start(workflow=heavy, user=personas.pat, n=1_000_000, seed=2)
    wait_for("progress", lambda: row(run.pk).progress_done > 0, worker)
    worker.kill()
    assert row(run.pk).status == "running"
    killed_at = time.monotonic()
    acme = personas.acme
    settled = wait_for(
        "the stale run to be settled",
        lambda: (r := simulation_get(organisation=acme, run_id=run.pk)).status != "running" and r,
        worker,
        timeout=60,
    )
    assert settled.status in ("failed", "queued"), settled.status
    if settled.status == "failed":
        assert settled.failure == "worker_stopped" and "The worker stopped" in settled.error
    assert time.monotonic() - killed_at < 60


def test_a_real_broker_outage_is_a_clear_error(personas, tmp_path):
    """With the broker really unreachable (Redis on a closed port), starting a run fails fast
    with queue_unavailable and keeps the attempt as a failed run."""
    from simulations.models import SimulationRun
    from tests.studio.helpers import make_workflow

    wf = make_workflow(personas.acme, personas.pat, "Outage")
    code = (
        "from lib.errors import DomainError\n"
        "from accounts.models import User\n"
        "from simulations.services import simulation_start\n"
        "from studio.models import Workflow\n"
        f"wf = Workflow.objects.get(pk={wf.pk})\n"
        "try:\n"
        "    simulation_start(workflow=wf, user=User.objects.get(email='pat@acme.example'), n=1000, seed=1)\n"
        "    print('STARTED')\n"
        "except DomainError as exc:\n"
        "    print('ERROR', exc.status, exc.code)\n"
    )
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "WORKFLOWOS_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "ERROR 503 queue_unavailable" in out.stdout, out.stdout + out.stderr
    assert time.monotonic() - started < 60
    run = SimulationRun.objects.get(workflow=wf)
    assert run.status == "failed" and run.failure == "queue_unavailable"
