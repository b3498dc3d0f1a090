"""Celery tasks of the assessment feature: they take ids (or nothing) and call one function."""

from __future__ import annotations

from celery import shared_task

from .notifications import sla_reminders_send


@shared_task(name="assessments.sla_reminders")
def sla_reminders() -> int:
    """Daily: remind assessors of acknowledgements and reviews due today or overdue."""
    return sla_reminders_send()
