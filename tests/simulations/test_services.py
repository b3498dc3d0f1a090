"""Services of simulated runs: start (validation, queueing, broker outage), the run itself
(eager Celery), determinism, cancel, idempotent re-delivery and the stale-run sweep."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from lib.canonical import canonical_json, sha256_hex
from lib.errors import DomainError
from simulations import services
from simulations.models import SimulationRun
from simulations.services import (
    simulation_cancel,
    simulation_execute,
    simulation_start,
    simulation_sweep_stale,
)

pytestmark = pytest.mark.django_db


def start(wf, user, **kw):
    kw.setdefault("n", 5_000)
    kw.setdefault("seed", 11)
    return simulation_start(workflow=wf, user=user, enqueue=False, **kw)


# --- start ---------------------------------------------------------------------------------------


def test_start_records_a_queued_run_with_everything_needed_to_reproduce_it(personas, guarded_workflow):
    run = start(guarded_workflow, personas.pat, params={"tolerances": {"max_escape_rate": 0.02}})
    version = guarded_workflow.versions.get(number=guarded_workflow.head_number)
    assert run.status == SimulationRun.QUEUED
    assert run.version == version and run.workflow_hash == version.content_hash
    assert run.catalogue_version == "scenarios-v1/controls-v1"
    assert (run.n, run.seed) == (5_000, 11)
    # The parameters are stored complete (defaults filled in), so a later default change cannot alter a re-run.
    assert run.params["tolerances"]["max_escape_rate"] == 0.02
    assert run.params["tolerances"]["min_availability"] == 0.995
    assert run.organisation == personas.acme and run.created_by == personas.pat


def test_a_seed_is_drawn_when_none_is_given(personas, workflow):
    seeds = {start(workflow, personas.pat, seed=None).seed for _ in range(3)}
    assert len(seeds) == 3 and all(0 <= s < 2**63 for s in seeds)


@pytest.mark.parametrize(
    "n, message",
    [
        (1_000_001, "at most 1,000,000 requests per run, got 1,000,001"),
        (0, "at least 1"),
        ("100", "whole number"),
    ],
)
def test_n_is_capped_with_a_clear_error(personas, workflow, n, message):
    with pytest.raises(DomainError) as exc:
        start(workflow, personas.pat, n=n)
    assert exc.value.status == 400
    assert [e.path for e in exc.value.errors] == ["n"]
    assert message in exc.value.errors[0].message
    assert not SimulationRun.objects.exists()


def test_the_cap_itself_is_accepted(personas, workflow):
    assert start(workflow, personas.pat, n=1_000_000).n == 1_000_000


def test_bad_parameters_are_refused_with_field_paths(personas, workflow):
    with pytest.raises(DomainError) as exc:
        start(workflow, personas.pat, params={"tolerances": {"max_escape_rate": 1.5}, "colour": "red"})
    paths = {e.path for e in exc.value.errors}
    assert paths == {"params.tolerances.max_escape_rate", "params.colour"}
    assert not SimulationRun.objects.exists()


def test_overrides_naming_unknown_steps_are_refused_before_queueing(personas, workflow):
    with pytest.raises(DomainError) as exc:
        start(workflow, personas.pat, params={"node_overrides": {"nope": {"detection_rate": 0.5}}})
    assert [e.path for e in exc.value.errors] == ["params.node_overrides.nope"]


def test_a_version_of_another_workflow_is_refused(personas, workflow, guarded_workflow):
    other = guarded_workflow.versions.first()
    with pytest.raises(DomainError):
        start(workflow, personas.pat, version=other)


# --- queueing ------------------------------------------------------------------------------------


def test_queueing_happens_only_after_commit(
    personas, workflow, monkeypatch, django_capture_on_commit_callbacks
):
    from simulations.tasks import simulation_run_task

    sent: list[tuple] = []
    monkeypatch.setattr(
        simulation_run_task, "apply_async", lambda args, task_id: sent.append((args, task_id))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1)
        assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent[0][0] == [run.pk]
    assert SimulationRun.objects.get(pk=run.pk).task_id == sent[0][1]


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_is_a_clear_error_and_the_attempt_is_kept_as_failed(personas, workflow, monkeypatch):
    from simulations.tasks import simulation_run_task

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(simulation_run_task, "apply_async", down)
    with pytest.raises(DomainError) as exc:
        simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1)
    assert exc.value.status == 503 and exc.value.code == "queue_unavailable"
    assert "job queue is unavailable" in exc.value.message
    run = SimulationRun.objects.get()
    assert run.status == SimulationRun.FAILED and run.failure == "queue_unavailable"
    assert "job queue is unavailable" in run.error


# --- the run -------------------------------------------------------------------------------------


def test_a_run_stores_the_report_its_hash_and_the_journal(personas, guarded_workflow):
    run = start(guarded_workflow, personas.pat, n=30_000)
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.DONE and run.progress_done == 30_000 and run.attempts == 1
    assert run.started and run.finished and run.finished >= run.started
    assert run.report["format"] == "workflowos.simulation-report/v1"
    assert run.report["params"]["seed"] == 11 and run.report["params"]["n"] == 30_000
    assert run.report["params"]["workflow"]["hash"] == run.workflow_hash
    assert run.report_hash == sha256_hex(canonical_json(run.report))
    assert run.passed is run.report["verdict"]["pass"]

    path = services.journal_path(run.journal_name)
    raw = gzip.decompress(path.read_bytes())
    lines = raw.decode().splitlines()
    assert len(lines) == 30_000
    assert hashlib.sha256(raw).hexdigest() == run.journal_hash
    first = json.loads(lines[0])
    assert set(first) == {"caught_by", "domain", "index", "latency_ms", "outcome", "scenario"}
    escaped = sum(1 for line in lines if '"outcome":"escaped"' in line)
    assert escaped == run.report["summary"]["outcomes"]["escaped"]["count"]


def test_same_inputs_store_byte_identical_reports(personas, guarded_workflow):
    params = {"tolerances": {"max_escape_rate": 0.005, "max_p99_latency_ms": 60000.0}}
    a = simulation_execute(run_id=start(guarded_workflow, personas.pat, n=40_000, seed=99, params=params).pk)
    b = simulation_execute(run_id=start(guarded_workflow, personas.pat, n=40_000, seed=99, params=params).pk)
    c = simulation_execute(run_id=start(guarded_workflow, personas.pat, n=40_000, seed=100, params=params).pk)
    assert a.pk != b.pk and a.report_hash == b.report_hash
    assert canonical_json(SimulationRun.objects.get(pk=a.pk).report) == canonical_json(
        SimulationRun.objects.get(pk=b.pk).report
    )
    assert a.journal_hash == b.journal_hash
    # The compressed journal files are byte-identical too (fixed gzip header).
    assert (
        services.journal_path(a.journal_name).read_bytes()
        == services.journal_path(b.journal_name).read_bytes()
    )
    assert c.report_hash != a.report_hash


def test_the_cli_reproduces_the_stored_report(personas, guarded_workflow, tmp_path, capsys):
    """What the page's reproduce line does: export the version, run the CLI, compare the hash."""
    import argparse

    from simulator import cli
    from studio.convert.export import to_json
    from studio.format import parse_document

    run = simulation_execute(
        run_id=start(
            guarded_workflow, personas.pat, n=20_000, seed=5, params={"tolerances": {"min_availability": 0.9}}
        ).pk
    )
    path = tmp_path / "workflow.json"
    path.write_text(to_json(parse_document(run.version.document)))
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(
        [str(path), "--runs", "20000", "--seed", "5", "--min-availability", "0.9", "--format", "json"]
    )
    cli.run(args)
    out = capsys.readouterr().out
    assert sha256_hex(out.rstrip("\n")) == run.report_hash


def test_an_invalid_stored_document_ends_the_run_as_failed(personas, workflow):
    run = start(workflow, personas.pat)
    run.version.document = {"format": "workflowos.workflow/v1", "nodes": "not a list"}
    run.version.save()
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.FAILED and run.failure == "invalid"
    assert run.error.startswith("The simulation could not run:")


def test_an_unexpected_error_is_recorded_not_left_running(personas, workflow, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "simulate", boom)
    run = simulation_execute(run_id=start(workflow, personas.pat).pk)
    assert run.status == SimulationRun.FAILED and run.failure == "error"
    assert "RuntimeError" in run.error and "disk on fire" not in run.error


def test_a_missing_run_is_ignored(db):
    assert simulation_execute(run_id=987654) is None


# --- idempotent re-delivery ----------------------------------------------------------------------


def test_a_redelivered_task_for_a_done_run_does_nothing(personas, workflow):
    run = simulation_execute(run_id=start(workflow, personas.pat).pk)
    before = SimulationRun.objects.get(pk=run.pk)
    again = simulation_execute(run_id=run.pk)
    assert again.status == SimulationRun.DONE
    assert (again.attempts, again.finished, again.report_hash) == (
        before.attempts,
        before.finished,
        before.report_hash,
    )


def test_a_redelivered_task_for_a_running_run_restarts_it_from_scratch(personas, workflow):
    run = start(workflow, personas.pat, n=20_000)
    reference = simulation_execute(run_id=start(workflow, personas.pat, n=20_000).pk)
    # As if a worker had been half-way through when the message was delivered again.
    SimulationRun.objects.filter(pk=run.pk).update(
        status=SimulationRun.RUNNING,
        progress_done=12_345,
        attempts=1,
        started=timezone.now(),
        heartbeat=timezone.now(),
    )
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.DONE and run.attempts == 2 and run.progress_done == 20_000
    assert run.report_hash == reference.report_hash


@pytest.mark.parametrize("status", [SimulationRun.CANCELLED, SimulationRun.FAILED])
def test_a_redelivered_task_for_a_cancelled_or_failed_run_does_nothing(personas, workflow, status):
    run = start(workflow, personas.pat)
    SimulationRun.objects.filter(pk=run.pk).update(
        status=status, failure="invalid" if status == "failed" else ""
    )
    assert simulation_execute(run_id=run.pk).status == status


def test_a_run_whose_worker_stopped_is_restarted_when_its_message_comes_back(personas, workflow):
    run = start(workflow, personas.pat)
    SimulationRun.objects.filter(pk=run.pk).update(
        status=SimulationRun.FAILED, failure=services.WORKER_STOPPED, attempts=1
    )
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.DONE and run.attempts == 2 and run.error == ""


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_a_queued_run_is_immediate_and_the_task_then_does_nothing(personas, workflow):
    run = simulation_cancel(run=start(workflow, personas.pat))
    assert run.status == SimulationRun.CANCELLED and run.finished
    assert simulation_execute(run_id=run.pk).status == SimulationRun.CANCELLED
    assert SimulationRun.objects.get(pk=run.pk).attempts == 0


def test_cancelling_a_running_run_stops_it_between_chunks(personas, workflow, monkeypatch):
    run = start(workflow, personas.pat, n=200_000)
    original = services._Monitor.progress
    calls = []

    def progress(self, done, total):
        calls.append(done)
        original(self, done, total)
        if len(calls) == 2:  # the user presses Cancel while the run is going
            simulation_cancel(run=SimulationRun.objects.get(pk=self.run_id))

    monkeypatch.setattr(services._Monitor, "progress", progress)
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.CANCELLED
    assert run.progress_done == 40_000  # two chunks of 20,000, then it stopped
    assert run.report is None and not run.journal_name


def test_a_finished_run_cannot_be_cancelled(personas, workflow):
    run = simulation_execute(run_id=start(workflow, personas.pat).pk)
    with pytest.raises(DomainError) as exc:
        simulation_cancel(run=run)
    assert exc.value.status == 409


# --- progress and the stale-run sweep ------------------------------------------------------------


def test_progress_and_heartbeat_are_written_while_running(personas, workflow, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_INTERVAL_SECONDS", 0.0)
    seen = []
    original = services._Monitor.progress

    def progress(self, done, total):
        original(self, done, total)
        row = SimulationRun.objects.get(pk=self.run_id)
        seen.append((row.status, row.progress_done, row.heartbeat is not None))

    monkeypatch.setattr(services._Monitor, "progress", progress)
    simulation_execute(run_id=start(workflow, personas.pat, n=60_000).pk)
    assert seen == [("running", 20_000, True), ("running", 40_000, True), ("running", 60_000, True)]


def test_progress_writes_are_throttled(personas, workflow, monkeypatch):
    writes = []
    original = services._Monitor._rows

    def rows(self):
        writes.append(1)
        return original(self)

    monkeypatch.setattr(services, "PROGRESS_INTERVAL_SECONDS", 3600.0)
    monkeypatch.setattr(services._Monitor, "_rows", rows)
    simulation_execute(run_id=start(workflow, personas.pat, n=200_000).pk)
    assert len(writes) == 1  # only the final 200,000 of 200,000


def test_the_sweep_fails_running_runs_whose_heartbeat_stopped(personas, workflow, settings):
    settings.SIMULATION_STALE_SECONDS = 60
    now = timezone.now()
    dead = start(workflow, personas.pat)
    alive = start(workflow, personas.pat)
    queued = start(workflow, personas.pat)
    SimulationRun.objects.filter(pk=dead.pk).update(
        status="running", started=now - timedelta(minutes=5), heartbeat=now - timedelta(seconds=61)
    )
    SimulationRun.objects.filter(pk=alive.pk).update(
        status="running", started=now - timedelta(minutes=5), heartbeat=now - timedelta(seconds=10)
    )
    assert simulation_sweep_stale(now=now) == 1
    dead.refresh_from_db()
    assert dead.status == SimulationRun.FAILED and dead.failure == "worker_stopped"
    assert "The worker stopped" in dead.error and "no heartbeat for 60 s" in dead.error
    assert SimulationRun.objects.get(pk=alive.pk).status == "running"
    assert SimulationRun.objects.get(pk=queued.pk).status == "queued"


def test_reading_runs_sweeps_first(personas, workflow):
    from simulations.selectors import simulation_get, simulation_list

    run = start(workflow, personas.pat)
    old = timezone.now() - timedelta(hours=1)
    SimulationRun.objects.filter(pk=run.pk).update(status="running", started=old, heartbeat=old)
    assert simulation_get(organisation=personas.acme, run_id=run.pk).status == "failed"
    SimulationRun.objects.filter(pk=run.pk).update(status="running", started=old, heartbeat=old)
    assert [r.status for r in simulation_list(workflow=workflow)] == ["failed"]


def test_the_periodic_sweep_is_scheduled():
    from simulations.tasks import simulation_sweep_task
    from workflowos.celery import app

    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == simulation_sweep_task.name]
    assert entries and entries[0]["schedule"] <= 60


def test_the_tasks_are_acks_late_and_requeued_when_the_worker_is_lost():
    from simulations.tasks import simulation_run_task

    assert simulation_run_task.acks_late is True
    assert simulation_run_task.reject_on_worker_lost is True


def test_eager_celery_runs_the_task_on_commit(personas, workflow, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = simulation_start(workflow=workflow, user=personas.pat, n=3_000, seed=3)
    run.refresh_from_db()
    assert run.status == SimulationRun.DONE and run.task_id.startswith(f"simulation-{run.pk}-")
