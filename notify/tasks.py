"""Celery tasks of notifications: each takes ids and calls one service; running one twice does no
harm (rows are claimed, fan-out happens once)."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services

log = logging.getLogger(__name__)


# Retries due within this long are queued with a countdown; later ones are left to the sweep
# (every minute), so the broker never holds hours-long ETAs (Redis would hand them out again
# after its visibility timeout).
COUNTDOWN_MAX_SECONDS = 600


def _publish(task: object, *args: int, eta: datetime | None = None) -> None:
    """Queue a task; a broker outage only delays it (the sweep finds the row again)."""
    countdown = max(0.0, (eta - timezone.now()).total_seconds()) if eta else None
    try:
        if countdown and (settings.CELERY_TASK_ALWAYS_EAGER or countdown > COUNTDOWN_MAX_SECONDS):
            return  # eager mode cannot wait, and long waits belong to the sweep
        task.apply_async(args=list(args), countdown=countdown)  # type: ignore[attr-defined]
    except Exception:
        log.warning("could not queue %s%r; the sweep will", getattr(task, "name", task), args, exc_info=True)


def enqueue_fanout(event_id: int) -> None:
    _publish(fanout_task, event_id)


@shared_task(name="notify.fanout", ignore_result=True)
def fanout_task(event_id: int) -> None:
    deliveries, notices = services.event_fanout(event_id=event_id)
    for pk in deliveries:
        _publish(deliver_webhook_task, pk)
    for pk in notices:
        _publish(send_email_notice_task, pk)


@shared_task(name="notify.deliver_webhook", ignore_result=True)
def deliver_webhook_task(delivery_id: int) -> None:
    next_attempt = services.webhook_deliver(delivery_id=delivery_id)
    if next_attempt is not None:
        _publish(deliver_webhook_task, delivery_id, eta=next_attempt)


@shared_task(name="notify.send_email_notice", ignore_result=True)
def send_email_notice_task(notice_id: int) -> None:
    next_attempt = services.email_notice_send(notice_id=notice_id)
    if next_attempt is not None:
        _publish(send_email_notice_task, notice_id, eta=next_attempt)


@shared_task(name="notify.sweep", ignore_result=True)
def sweep_task() -> dict[str, int]:
    """Every minute (beat): catch up on fan-outs and deliveries a lost task left behind."""
    result = services.notifications_sweep()
    for pk in result.webhooks_due:
        _publish(deliver_webhook_task, pk)
    for pk in result.emails_due:
        _publish(send_email_notice_task, pk)
    return {
        "fanned_out": len(result.fanned_out),
        "webhooks": len(result.webhooks_due),
        "emails": len(result.emails_due),
        "gave_up": result.gave_up,
    }


@shared_task(name="notify.expiry_reminders", ignore_result=True)
def expiry_reminders_task() -> int:
    """Daily (beat): the 90-, 30- and 7-day expiry reminders to holders' admins, and the pruning
    of month-old delivery logs and never-confirmed addresses."""
    services.notifications_prune()
    return len(services.expiry_reminders_send())
