"""What every background job (simulations, exports) shares: which errors mean "the database is out
of reach" (the task is retried, the job is not failed), and the time limits and sweep thresholds
read from settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections

try:  # Django wraps driver errors, but one raised outside a query can arrive unwrapped
    import psycopg

    _DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still work
    _DRIVER_ERRORS = ()

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, *_DRIVER_ERRORS)

# How often a running export writes its heartbeat, at most (never less often than a third of the
# stale limit, so one late write never makes a live job look dead).
HEARTBEAT_SECONDS = 5.0


log = logging.getLogger(__name__)


def is_database_error(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def is_time_limit(exc: BaseException | None) -> bool:
    """The task ran past its soft time limit (Celery raised it inside the task)."""
    return isinstance(exc, SoftTimeLimitExceeded)


def stale_after() -> timedelta:
    """A running job whose heartbeat is older than this is taken for dead (its worker stopped)."""
    return timedelta(seconds=settings.JOB_STALE_SECONDS)


# Failure codes every job kind shares (simulation runs, exports).
WORKER_STOPPED, TIME_LIMIT = "worker_stopped", "time_limit"


def requeue_after() -> timedelta:
    """A queued job not picked up within this time is published again."""
    return timedelta(seconds=settings.JOB_REQUEUE_SECONDS)


def heartbeat_seconds(stale: timedelta) -> float:
    return max(0.5, min(HEARTBEAT_SECONDS, stale.total_seconds() / 3))


def time_limits(task_name: str) -> tuple[int, int]:
    """The (soft, hard) time limits of a task kind, in seconds."""
    limits = settings.JOB_TIME_LIMITS[task_name]
    return limits["soft"], limits["hard"]


def duration_text(seconds: float) -> str:
    """``45 s``, ``20 min``, ``1 h 30 min``: for messages people read."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def recover_connection() -> None:
    """After an exception raised asynchronously (the soft time limit) the query it interrupted may
    have left the connection unusable: drop it, so recording the failure opens a fresh one."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


class Heartbeat:
    """Calls ``beat`` every few seconds from a thread while a job runs one long call with no
    progress in between (laying out a large PDF). Not started inside a transaction (eager unit
    tests), where the thread's own connection would wait on the caller's locks."""

    def __init__(self, beat: Callable[[], object], name: str) -> None:
        self.beat = beat
        self.name = name
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()
        return self

    def _run(self) -> None:
        interval = heartbeat_seconds(stale_after())
        try:
            while not self.stop_event.wait(interval):
                try:
                    self.beat()
                except Exception:  # a missed beat must never break the job; the next may land
                    log.warning("%s: heartbeat not written", self.name, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def requeue_stale(
    *,
    model: Any,
    publish: Callable[[int, str], None],
    new_task_id: Callable[[int], str],
    kind: str,
    now: Any = None,
    limit: int = 200,
) -> int:
    """Publish again the queued jobs of ``model`` (simulation runs, exports) that no worker picked up
    within ``JOB_REQUEUE_SECONDS``: their message may have been lost when the broker restarted. A
    job that was in the queue after all runs once: the first delivery claims it, the other finds
    nothing to do. ``publish(job_id, task_id)`` sends the task. Returns the number of jobs published
    again (none while the broker is down: the next sweep tries again)."""
    from django.db.models import Q
    from django.utils import timezone
    from kombu.exceptions import OperationalError as BrokerError

    now = now or timezone.now()
    cutoff = now - requeue_after()
    waiting = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created__lt=cutoff)
    queued = model.QUEUED
    ids = list(
        model.objects.filter(waiting, status=queued).order_by("created").values_list("pk", flat=True)[:limit]
    )
    published = 0
    for job_id in ids:
        task_id = new_task_id(job_id)
        rows = model.objects.filter(pk=job_id, status=queued)
        if not rows.filter(waiting).update(task_id=task_id):
            continue  # claimed or cancelled meanwhile
        try:
            publish(job_id, task_id)
        except (BrokerError, OSError) as exc:
            log.warning("could not queue %s %s again: %s", kind, job_id, exc)
            break
        rows.update(heartbeat=timezone.now())
        log.info("%s %s waited in the queue too long; published again", kind, job_id)
        published += 1
    return published


def sweep_stale(
    *,
    model: Any,
    task_name: str,
    overdue_message: str,
    stopped_message: str,
    now: Any = None,
    stale: timedelta | None = None,
) -> int:
    """Settle the running jobs of ``model`` that can no longer finish, so nothing stays "running"
    forever: past its hard time limit (``overdue_message``, given the limit as ``{limit}``), or with
    a stopped heartbeat because its worker was killed or lost (``stopped_message``, given the
    silence as ``{seconds}``; ``stale`` defaults to :func:`stale_after`). Both end failed with the
    message. Returns the number settled."""
    from django.db.models import Q
    from django.utils import timezone

    now = now or timezone.now()
    stale = stale or stale_after()
    _soft, hard = time_limits(task_name)
    running = model.objects.filter(status=model.RUNNING)
    overdue = running.filter(started__lt=now - timedelta(seconds=hard) - stale).update(
        status=model.FAILED,
        failure=TIME_LIMIT,
        error=overdue_message.format(limit=duration_text(hard)),
        finished=now,
    )
    cutoff = now - stale
    silent = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, started__lt=cutoff)
    stopped = running.filter(silent).update(
        status=model.FAILED,
        failure=WORKER_STOPPED,
        error=stopped_message.format(seconds=int(stale.total_seconds())),
        finished=now,
    )
    return int(overdue) + int(stopped)


def job_task_options() -> dict[str, Any]:
    """The Celery options of a job task (a simulation run, an export): acknowledged late and given
    back when its worker dies, and retried with backoff while the database is out of reach (the
    row could not record a failure anyway)."""
    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "ignore_result": True,
        "autoretry_for": DATABASE_ERRORS,
        "max_retries": settings.JOB_DATABASE_RETRIES,
        "retry_backoff": 1,
        "retry_backoff_max": 60,
        "retry_jitter": False,
    }


def run_sweep(kind: str, *steps: Callable[[], int]) -> int:
    """Run a periodic sweep's steps; while the database is away, skip with one warning line (the
    next sweep does it) instead of a traceback every period. Returns the number of jobs handled."""
    try:
        return sum(step() for step in steps)
    except DATABASE_ERRORS as exc:
        log.warning("%s sweep skipped: the database is out of reach (%s)", kind, type(exc).__name__)
        return 0
