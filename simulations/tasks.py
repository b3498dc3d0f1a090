"""Celery tasks of simulated runs. Each takes ids and calls one service; the state lives in the
row, so a task can be delivered twice (acks late) without harm.

A run that cannot reach the database is retried with backoff (the message is acknowledged only
once its retry is queued), never failed: the row could not record the failure anyway. Time limits
come from ``settings.JOB_TIME_LIMITS`` (``CELERY_TASK_ANNOTATIONS``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from lib.jobs import job_task_options, run_sweep

from .services import simulation_execute, simulation_requeue_stale, simulation_sweep_stale


@shared_task(bind=True, name="simulations.run", **job_task_options())
def simulation_run_task(self: Any, run_id: int) -> None:
    simulation_execute(run_id=run_id, task_id=self.request.id)


@shared_task(name="simulations.sweep_stale", ignore_result=True)
def simulation_sweep_task() -> int:
    """Periodic (beat, ``JOB_SWEEP_SECONDS``): settle dead runs, publish lost ones again. Reads
    of runs settle dead runs on their own too."""
    return run_sweep("simulation", simulation_sweep_stale, simulation_requeue_stale)
