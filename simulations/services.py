"""Writes for simulated runs: start one (validate, record, queue), cancel it, run it (the Celery
task calls :func:`simulation_execute`), and settle runs whose worker died.

A run's life: ``queued`` → ``running`` → ``done`` | ``failed`` | ``cancelled``. Every state change
is a conditional UPDATE on the row, so a re-delivered task, a cancel and the stale-run sweep can
race without corrupting it. The job state lives in the row (progress, heartbeat, result); Celery
only carries the run id.

``heartbeat`` is the run's last sign of life: while queued, when it was last handed to the queue;
while running, the worker's last progress write. The periodic sweep reads it to publish again a
queued run whose message was lost (a broker restart) and to settle a running one whose worker
stopped.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.quotas import job_quota_check
from lib import artefacts
from lib.canonical import canonical_json, sha256_hex
from lib.errors import DomainError, ErrorItem
from lib.jobs import (
    TIME_LIMIT,
    WORKER_STOPPED,
    duration_text,
    is_database_error,
    recover_connection,
    requeue_stale,
    sweep_stale,
    time_limits,
)
from simulator.catalogue import SimulationCatalogue, load_simulation_catalogue
from simulator.engine import SimulationCancelled, simulate
from simulator.params import MAX_REQUESTS, check_request_count, check_seed, parse_params
from simulator.plan import build_plan
from simulator.report import SimulationReport
from studio.format import parse_document
from studio.models import Workflow, WorkflowVersion

from .models import SimulationRun

log = logging.getLogger(__name__)

# Progress and heartbeat are written at most this often (and always at the end).
PROGRESS_INTERVAL_SECONDS = 0.5
TASK_NAME = "simulations.run"
JOURNAL_DIR = "journals"

QUEUE_UNAVAILABLE, INVALID, ERROR = "queue_unavailable", "invalid", "error"  # + lib.jobs' two
QUEUE_UNAVAILABLE_MESSAGE = (
    "The job queue is unavailable, so the simulation could not be started. "
    "Nothing was lost: try again in a minute. If it persists, the broker (Redis) is down — see /healthz."
)


def stale_after() -> timedelta:
    """A running run whose heartbeat is older than this is taken for dead (its worker stopped)."""
    return timedelta(seconds=getattr(settings, "SIMULATION_STALE_SECONDS", settings.JOB_STALE_SECONDS))


def catalogue_version(catalogue: SimulationCatalogue) -> str:
    return f"scenarios-v{catalogue.scenarios.version}/controls-v{catalogue.behaviour.version}"


def random_seed() -> int:
    """A fresh seed for a run (shown and recorded, so the run can be reproduced)."""
    return secrets.randbelow(2**32)


# --- start ---------------------------------------------------------------------------------------


def simulation_start(
    *,
    workflow: Workflow,
    user: Any,
    n: Any,
    seed: Any = None,
    params: Any = None,
    version: WorkflowVersion | None = None,
    enqueue: bool = True,
) -> SimulationRun:
    """Validate the inputs, record a queued run of ``version`` (default: the latest) and queue the
    Celery task once the row is committed.

    Raises DomainError (400) with field paths for a bad N, seed or parameters, and DomainError
    (503, ``queue_unavailable``) when the broker cannot take the job; the row is then kept,
    marked failed, so the attempt stays visible. ``enqueue=False`` leaves the run queued for the
    caller to execute (the demo seeder runs it synchronously).
    """
    job_quota_check(organisation_id=workflow.organisation_id)
    errors: list[ErrorItem] = []
    try:
        n = check_request_count(n)
    except ValueError as exc:
        errors.append(ErrorItem("n", str(exc)))
    if seed is None:
        seed = random_seed()
    try:
        seed = check_seed(seed)
    except ValueError as exc:
        errors.append(ErrorItem("seed", str(exc)))
    if errors:
        message = (
            f"At most {MAX_REQUESTS:,} requests per run."
            if any(e.path == "n" and "at most" in e.message for e in errors)
            else "The simulation request is not valid."
        )
        raise DomainError(message, errors)
    parsed = parse_params(params)
    if version is None:
        version = workflow.versions.filter(number=workflow.head_number).first()
        if version is None:
            raise DomainError(
                "This workflow has no saved version to simulate.", [ErrorItem("version", "no version")]
            )
    elif version.workflow_id != workflow.pk:
        raise DomainError("That version belongs to another workflow.", [ErrorItem("version", "not found")])
    catalogue = load_simulation_catalogue()
    # Unknown node ids or scenarios in the parameters are refused now, not later in the worker.
    build_plan(parse_document(version.document), catalogue, parsed)

    run = SimulationRun.objects.create(
        organisation_id=workflow.organisation_id,
        workflow=workflow,
        version=version,
        workflow_hash=version.content_hash,
        catalogue_version=catalogue_version(catalogue),
        seed=seed,
        n=n,
        params=parsed.to_data(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if enqueue:
        # Outside a transaction this runs at once (and raises at once); inside one, after commit,
        # so the worker never looks for a row it cannot see yet.
        transaction.on_commit(partial(_enqueue, run.pk))
        run.refresh_from_db()
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import simulation_run_task

    task_id = _new_task_id(run_id)
    SimulationRun.objects.filter(pk=run_id).update(task_id=task_id, heartbeat=timezone.now())
    if settings.CELERY_TASK_ALWAYS_EAGER:
        simulation_run_task.apply_async(args=[run_id], task_id=task_id)
        return
    try:
        simulation_run_task.apply_async(args=[run_id], task_id=task_id)
    except (OperationalError, OSError) as exc:
        log.warning("could not queue simulation %s: %s", run_id, exc)
        SimulationRun.objects.filter(pk=run_id, status=SimulationRun.QUEUED).update(
            status=SimulationRun.FAILED,
            failure=QUEUE_UNAVAILABLE,
            error=QUEUE_UNAVAILABLE_MESSAGE,
            finished=timezone.now(),
        )
        raise DomainError(QUEUE_UNAVAILABLE_MESSAGE, status=503, code="queue_unavailable") from None


def _new_task_id(run_id: int) -> str:
    return f"simulation-{run_id}-{secrets.token_hex(6)}"


def simulation_rerun(*, run: SimulationRun, user: Any) -> SimulationRun:
    """Start a new run with exactly the inputs of ``run`` (same version, N, seed, parameters)."""
    return simulation_start(
        workflow=run.workflow, user=user, n=run.n, seed=run.seed, params=run.params, version=run.version
    )


# --- cancel --------------------------------------------------------------------------------------


def simulation_cancel(*, run: SimulationRun) -> SimulationRun:
    """Cancel a run. A queued run is cancelled at once; a running one is asked to stop and stops
    before its next chunk of requests. Refused (409) once the run has finished."""
    now = timezone.now()
    qs = SimulationRun.objects.filter(pk=run.pk)
    if not qs.filter(status=SimulationRun.QUEUED).update(
        status=SimulationRun.CANCELLED, cancel_requested=True, finished=now
    ) and not qs.filter(status=SimulationRun.RUNNING).update(cancel_requested=True):
        raise DomainError("This simulation has already finished.", status=409, code="conflict")
    run.refresh_from_db()
    return run


# --- the run itself ------------------------------------------------------------------------------


class _Monitor:
    """Writes progress and the heartbeat to the row (throttled) and reads the cancel flag."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last_write = time.monotonic()

    def _rows(self) -> Any:
        # A progress write also revives a run the sweep wrongly took for dead: it is evidently alive.
        return SimulationRun.objects.filter(pk=self.run_id).exclude(
            status__in=[SimulationRun.DONE, SimulationRun.CANCELLED]
        )

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self.last_write = now
        self._rows().update(
            status=SimulationRun.RUNNING, failure="", error="", progress_done=done, heartbeat=timezone.now()
        )

    def beat(self) -> None:
        now = time.monotonic()
        if now - self.last_write >= PROGRESS_INTERVAL_SECONDS:
            self.last_write = now
            self._rows().update(heartbeat=timezone.now())

    def should_cancel(self) -> bool:
        return SimulationRun.objects.filter(pk=self.run_id, cancel_requested=True).exists()


def _claim(run_id: int, task_id: str | None = None) -> SimulationRun | None:
    """Move the run to ``running`` from scratch, or return None when there is nothing to do.

    Idempotent for re-delivered tasks: a run that is done or cancelled (or failed for a reason
    other than its worker stopping) is left alone; a running one, or one whose worker stopped,
    restarts from the beginning (the result is deterministic, so nothing is lost). A running run
    is restarted only by the delivery that claimed it (``task_id``: a redelivery or a retry of the
    same task), never by a second message the sweep published for it while it was queued.
    """
    running = Q(status=SimulationRun.RUNNING)
    if task_id is not None:
        running &= Q(task_id=task_id)
    claimable = (
        Q(status=SimulationRun.QUEUED) | running | Q(status=SimulationRun.FAILED, failure=WORKER_STOPPED)
    )
    now = timezone.now()
    SimulationRun.objects.filter(claimable, pk=run_id, cancel_requested=True).update(
        status=SimulationRun.CANCELLED, finished=now
    )
    claimed = SimulationRun.objects.filter(claimable, pk=run_id, cancel_requested=False).update(
        status=SimulationRun.RUNNING,
        started=now,
        heartbeat=now,
        finished=None,
        progress_done=0,
        failure="",
        error="",
        attempts=F("attempts") + 1,
        **({"task_id": task_id} if task_id is not None else {}),
    )
    if not claimed:
        return None
    return SimulationRun.objects.select_related("version").get(pk=run_id)


def _fail(run_id: int, failure: str, message: str) -> None:
    SimulationRun.objects.filter(pk=run_id).exclude(
        status__in=[SimulationRun.DONE, SimulationRun.CANCELLED]
    ).update(status=SimulationRun.FAILED, failure=failure, error=message[:2000], finished=timezone.now())


def simulation_execute(*, run_id: int, task_id: str | None = None) -> SimulationRun | None:
    """Run the simulation of ``run_id`` to the end and store the report and the journal.

    Called by the Celery task (``task_id``: its delivery) and synchronously by the demo seeder.
    Safe to call again for the same run: see :func:`_claim`. Errors end the run as failed with a
    readable message; nothing is raised for them, so a broken run is never retried in a loop.
    The exception: when the database is out of reach the error is raised, for the task to retry
    once it is back (the row cannot record anything meanwhile).
    """
    run = _claim(run_id, task_id)
    if run is None:
        log.info("simulation %s: nothing to do", run_id)
        return SimulationRun.objects.filter(pk=run_id).first()
    monitor = _Monitor(run_id)
    try:
        report = simulate(
            parse_document(run.version.document),
            n=run.n,
            seed=run.seed,
            params=parse_params(run.params),
            progress=monitor.progress,
            should_cancel=monitor.should_cancel,
        )
        stored = _store(run, report, monitor)
    except SimulationCancelled as exc:
        SimulationRun.objects.filter(pk=run_id, status=SimulationRun.RUNNING).update(
            status=SimulationRun.CANCELLED, progress_done=exc.done, finished=timezone.now()
        )
    except artefacts.StorageError as exc:  # full or unreachable storage: say so, not "internal error"
        log.warning("simulation %s: journal not stored: %s", run_id, exc.__cause__ or exc)
        _fail(run_id, ERROR, "The simulation ran but its journal could not be stored. " + exc.message)
    except (DomainError, ValueError) as exc:
        lines = exc.lines() if isinstance(exc, DomainError) else [str(exc)]
        _fail(run_id, INVALID, "The simulation could not run: " + "; ".join(lines))
    except Exception as exc:  # a worker must record the failure instead of leaving the run "running"
        _settle_failure(run_id, exc)
    else:
        if not stored:
            log.info("simulation %s finished but its row had moved on; result not stored", run_id)
    return SimulationRun.objects.filter(pk=run_id).first()


def _settle_failure(run_id: int, exc: Exception) -> None:
    """End the run after an unexpected error, with a message that says what happened."""
    if is_database_error(exc):
        raise exc  # the task retries once the database is back
    if isinstance(exc, SoftTimeLimitExceeded):
        recover_connection()
        soft, _hard = time_limits(TASK_NAME)
        log.warning("simulation %s stopped at its time limit of %s s", run_id, soft)
        _fail(
            run_id,
            TIME_LIMIT,
            f"The simulation ran longer than its time limit ({duration_text(soft)}) and was stopped. "
            "Run it again with fewer requests, or ask an administrator to raise SIMULATION_SOFT_TIME_LIMIT.",
        )
        return
    log.exception("simulation %s failed", run_id, exc_info=exc)
    _fail(
        run_id,
        ERROR,
        f"The simulation failed with an internal error ({type(exc).__name__}); it has been logged.",
    )


@dataclass(frozen=True)
class _Journal:
    name: str
    sha256: str
    lines: int


def journal_path(name: str) -> Path:
    """The local path of a journal on the file-system storage (tests and tools; the app itself
    reads and writes journals through :mod:`lib.artefacts`)."""
    return Path(artefacts.storage().path(artefacts.key(JOURNAL_DIR, name)))


def _write_journal(
    run: SimulationRun, report: SimulationReport, report_hash: str, monitor: _Monitor
) -> _Journal:
    """Store the JSON-lines journal gzip-compressed (fixed mtime, so the bytes are reproducible
    too). It is built in a local spool and stored in one piece, so a worker killed half-way or a
    full disk leaves no object a run points to; the hash is of the uncompressed lines."""
    name = f"simulation-{run.pk}-{report_hash[:16]}.jsonl.gz"
    digest = hashlib.sha256()
    count = 0
    batch: list[str] = []
    with artefacts.storage_errors(), artefacts.spool() as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:

            def flush() -> None:
                data = ("\n".join(batch) + "\n").encode("utf-8")
                digest.update(data)
                gz.write(data)
                batch.clear()
                monitor.beat()

            for line in report.journal_lines():
                batch.append(line)
                count += 1
                if len(batch) >= 20_000:
                    flush()
            if batch:
                flush()
        stored = artefacts.save_file(JOURNAL_DIR, raw, name=name, replace=True)
    return _Journal(name=stored.name, sha256=digest.hexdigest(), lines=count)


def _store(run: SimulationRun, report: SimulationReport, monitor: _Monitor) -> bool:
    data = report.to_data()
    text = canonical_json(data)
    report_hash = sha256_hex(text)
    journal = _write_journal(run, report, report_hash, monitor)
    # Stored from the canonical text, so what the database keeps is exactly what was hashed.
    updated = (
        SimulationRun.objects.filter(pk=run.pk)
        .exclude(status__in=[SimulationRun.DONE, SimulationRun.CANCELLED])
        .update(
            status=SimulationRun.DONE,
            report=json.loads(text),
            report_hash=report_hash,
            passed=report.passed,
            journal_name=journal.name,
            journal_hash=journal.sha256,
            progress_done=run.n,
            failure="",
            error="",
            finished=timezone.now(),
            heartbeat=timezone.now(),
        )
    )
    return bool(updated)


# --- faults --------------------------------------------------------------------------------------


def simulation_sweep_stale(*, now: Any = None) -> int:
    """Settle running runs that can no longer finish (see :func:`lib.jobs.sweep_stale`). Runs on
    every read of runs and as a periodic task. Returns the number of runs settled."""
    return sweep_stale(
        model=SimulationRun,
        task_name=TASK_NAME,
        overdue_message="The simulation ran longer than its time limit ({limit}) and was stopped. "
        "Run it again with fewer requests.",
        stopped_message="The worker stopped while running this simulation (no heartbeat for {seconds} s). "
        "Run it again: the same inputs give the same report.",
        now=now,
        stale=stale_after(),
    )


def simulation_requeue_stale(*, now: Any = None, limit: int = 200) -> int:
    """Publish again the queued simulations that no worker picked up in time (see
    :func:`lib.jobs.requeue_stale`); runs as a periodic task."""
    from .tasks import simulation_run_task

    return requeue_stale(
        model=SimulationRun,
        publish=lambda job_id, task_id: simulation_run_task.apply_async(args=[job_id], task_id=task_id),
        new_task_id=_new_task_id,
        kind="simulation",
        now=now,
        limit=limit,
    )
