"""Celery task of evidence exports: it takes the job id and calls one service. The state lives in
the row, so a task delivered twice (acks late) does no harm."""

from __future__ import annotations

from celery import shared_task

from .services import export_run


@shared_task(name="evidence.export", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def export_render_task(job_id: int) -> None:
    export_run(job_id=job_id)
