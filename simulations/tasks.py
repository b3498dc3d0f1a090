"""Celery tasks of simulated runs. Each takes ids and calls one service; the state lives in the
row, so a task can be delivered twice (acks late) without harm.

A run that cannot reach the database is retried with backoff (the message is acknowledged only
once its retry is queued), never failed: the row could not record the failure anyway. Time limits
come from ``settings.JOB_TIME_LIMITS`` (``CELERY_TASK_ANNOTATIONS``)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from lib.jobs import DATABASE_ERRORS

from .services import simulation_execute, simulation_requeue_stale, simulation_sweep_stale

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="simulations.run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=DATABASE_ERRORS,
    max_retries=settings.JOB_DATABASE_RETRIES,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=False,
)
def simulation_run_task(self: Any, run_id: int) -> None:
    simulation_execute(run_id=run_id, task_id=self.request.id)


@shared_task(name="simulations.sweep_stale", ignore_result=True)
def simulation_sweep_task() -> int:
    """Periodic (beat, ``JOB_SWEEP_SECONDS``): settle dead runs, publish lost ones again. Reads
    of runs settle dead runs on their own too."""
    try:
        return simulation_sweep_stale() + simulation_requeue_stale()
    except DATABASE_ERRORS as exc:  # the next sweep will do it; no traceback every period
        log.warning("simulation sweep skipped: the database is out of reach (%s)", type(exc).__name__)
        return 0
