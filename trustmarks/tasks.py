"""Celery tasks of trust marks. Each calls one service; running one twice does no harm."""

from __future__ import annotations

from celery import shared_task

from workflowos.celery import app

from .services import trust_marks_expire

EXPIRE_EVERY_SECONDS = 3600.0


@shared_task(name="trustmarks.expire", ignore_result=True)
def trust_marks_expire_task() -> int:
    return trust_marks_expire()


# With `celery beat` (or a worker started with -B) expired marks are recorded as such within the
# hour; reads never wait for it (an active mark past its expiry date is reported as expired).
app.add_periodic_task(EXPIRE_EVERY_SECONDS, trust_marks_expire_task.s(), name="trustmarks: expire marks")
