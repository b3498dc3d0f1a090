"""Celery tasks of evidence exports: each takes the job id and calls one service. The state lives
in the row, so a task delivered twice (acks late) does no harm.

An export that cannot reach the database is retried with backoff (the message is acknowledged
only once its retry is queued), never failed: the row could not record the failure anyway. Time
limits come from ``settings.JOB_TIME_LIMITS`` (``CELERY_TASK_ANNOTATIONS``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from lib.jobs import job_task_options, run_sweep

from .services import export_requeue_stale, export_run, export_sweep_stale


@shared_task(bind=True, name="evidence.export", **job_task_options())
def export_render_task(self: Any, job_id: int) -> None:
    export_run(job_id=job_id, task_id=self.request.id)


@shared_task(name="evidence.sweep_stale", ignore_result=True)
def export_sweep_task() -> int:
    """Periodic (beat, ``JOB_SWEEP_SECONDS``): settle dead exports, publish lost ones again."""
    return run_sweep("export", export_sweep_stale, export_requeue_stale)
