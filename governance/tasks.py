"""Celery tasks of the organisation path: each calls one service."""

from __future__ import annotations

from celery import shared_task

from .reminders import action_reminders_send


@shared_task(name="governance.action_reminders", ignore_result=True)
def action_reminders_task() -> int:
    """Daily (beat): remind admins of improvement actions due within 7 days or overdue."""
    return action_reminders_send().emails
