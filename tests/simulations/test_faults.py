"""Simulated runs through faults, in-process: a run whose message was lost is published again, a
second message never restarts a running run, losing the database is raised for the task to retry
(not recorded as a failure), the soft time limit ends the run failed saying so, and a run past
its hard limit is settled. The same with real processes: tests/faults/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from simulations.models import SimulationRun
from simulations.services import (
    simulation_execute,
    simulation_requeue_stale,
    simulation_start,
    simulation_sweep_stale,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(personas: Any, workflow: Any) -> SimulationRun:
    return simulation_start(workflow=workflow, user=personas.pat, n=2_000, seed=5, enqueue=False)


def update(run: SimulationRun, **fields: Any) -> SimulationRun:
    SimulationRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run


def test_a_queued_run_whose_message_was_lost_is_published_again_and_runs(run, settings, eager):
    settings.JOB_REQUEUE_SECONDS = 600
    update(run, heartbeat=timezone.now() - timedelta(minutes=9))
    assert simulation_requeue_stale() == 0
    update(run, heartbeat=timezone.now() - timedelta(minutes=11), task_id="simulation-x-lost")
    assert simulation_requeue_stale() == 1  # eager: the new message runs at once
    run.refresh_from_db()
    assert run.status == SimulationRun.DONE and run.task_id != "simulation-x-lost"


def test_a_broker_outage_leaves_lost_runs_queued_for_the_next_sweep(run, settings, monkeypatch):
    from kombu.exceptions import OperationalError

    from simulations.tasks import simulation_run_task

    def down(args: Any, task_id: str) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr(simulation_run_task, "apply_async", down)
    old = timezone.now() - timedelta(minutes=11)
    update(run, heartbeat=old)
    assert simulation_requeue_stale() == 0
    run.refresh_from_db()
    assert run.status == SimulationRun.QUEUED and run.heartbeat == old


def test_a_second_message_does_not_restart_a_running_run(run):
    update(run, status=SimulationRun.RUNNING, task_id="simulation-1-first", progress_done=700, attempts=1)
    same = simulation_execute(run_id=run.pk, task_id="simulation-1-second")
    assert same.status == SimulationRun.RUNNING and same.progress_done == 700 and same.attempts == 1
    redelivered = simulation_execute(run_id=run.pk, task_id="simulation-1-first")
    assert redelivered.status == SimulationRun.DONE and redelivered.attempts == 2


def test_losing_the_database_is_raised_for_a_retry_not_recorded_as_a_failure(run, monkeypatch):
    from django.db import OperationalError

    from simulations import services

    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(services, "simulate", lost)
    with pytest.raises(OperationalError):
        simulation_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SimulationRun.RUNNING and run.error == "" and run.failure == ""


def test_the_soft_time_limit_ends_the_run_failed_saying_so(run, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    from simulations import services

    settings.JOB_TIME_LIMITS = {**settings.JOB_TIME_LIMITS, "simulations.run": {"soft": 1200, "hard": 1260}}

    def wedged(*args: Any, **kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "simulate", wedged)
    ended = simulation_execute(run_id=run.pk)
    assert ended.status == SimulationRun.FAILED and ended.failure == "time_limit"
    assert ended.error.startswith("The simulation ran longer than its time limit (20 min) and was stopped.")


def test_a_run_past_its_hard_time_limit_is_settled(run, settings):
    settings.JOB_TIME_LIMITS = {**settings.JOB_TIME_LIMITS, "simulations.run": {"soft": 1200, "hard": 1260}}
    now = timezone.now()
    update(run, status=SimulationRun.RUNNING, started=now - timedelta(minutes=23), heartbeat=now)
    assert simulation_sweep_stale() == 1
    run.refresh_from_db()
    assert run.failure == "time_limit" and "longer than its time limit (21 min)" in run.error


def test_time_limits_are_set_per_task_kind():
    from django.conf import settings

    from workflowos.celery import app

    for name in ("simulations.run", "evidence.export"):
        limits = settings.JOB_TIME_LIMITS[name]
        assert 0 < limits["soft"] < limits["hard"]
        assert app.conf.task_annotations[name] == {
            "soft_time_limit": limits["soft"],
            "time_limit": limits["hard"],
        }
    assert max(
        v["hard"] for v in settings.JOB_TIME_LIMITS.values()
    ) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
