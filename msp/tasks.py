"""Celery tasks of the MSP workspace: each calls one service."""

from __future__ import annotations

from celery import shared_task

from .monthly_reports import monthly_reports_send


@shared_task(name="msp.monthly_reports", ignore_result=True)
def monthly_reports_task() -> int:
    """Daily (beat): e-mail last month's governance report to each client's admins, once."""
    return monthly_reports_send().sent
