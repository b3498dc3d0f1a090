"""Celery tasks of the MSP workspace: each takes ids (or nothing) and calls one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from lib.jobs import job_task_options

from .monthly_reports import monthly_reports_send
from .pdf_jobs import pdf_render_run


@shared_task(name="msp.monthly_reports", ignore_result=True)
def monthly_reports_task() -> int:
    """Daily (beat): e-mail last month's governance report to each client's admins, once."""
    return monthly_reports_send().sent


@shared_task(bind=True, name="msp.render_pdf", **job_task_options())
def render_pdf_task(self: Any, job_id: int) -> None:
    """Render one launch pack or governance report PDF (time limits: JOB_TIME_LIMITS)."""
    pdf_render_run(job_id=job_id, task_id=self.request.id)
