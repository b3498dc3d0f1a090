"""Celery tasks of evidence exports: each takes the job id and calls one service. The state lives
in the row, so a task delivered twice (acks late) does no harm.

An export that cannot reach the database is retried with backoff (the message is acknowledged
only once its retry is queued), never failed: the row could not record the failure anyway. Time
limits come from ``settings.JOB_TIME_LIMITS`` (``CELERY_TASK_ANNOTATIONS``)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from lib.jobs import DATABASE_ERRORS

from .services import export_requeue_stale, export_run, export_sweep_stale

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="evidence.export",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=DATABASE_ERRORS,
    max_retries=settings.JOB_DATABASE_RETRIES,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=False,
)
def export_render_task(self: Any, job_id: int) -> None:
    export_run(job_id=job_id, task_id=self.request.id)


@shared_task(name="evidence.sweep_stale", ignore_result=True)
def export_sweep_task() -> int:
    """Periodic (beat, ``JOB_SWEEP_SECONDS``): settle dead exports, publish lost ones again."""
    try:
        return export_sweep_stale() + export_requeue_stale()
    except DATABASE_ERRORS as exc:  # the next sweep will do it; no traceback every period
        log.warning("export sweep skipped: the database is out of reach (%s)", type(exc).__name__)
        return 0
