"""Worker heartbeat: a background thread in every Celery worker process updates its row."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

log = logging.getLogger(__name__)
_stop = threading.Event()
HEARTBEAT_SECONDS = 5


def beat_once(hostname: str) -> None:
    from django.utils import timezone

    from core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now(), "pid": os.getpid()}
    )


def _loop(hostname: str) -> None:
    from django.db import close_old_connections

    while not _stop.is_set():
        try:
            close_old_connections()
            beat_once(hostname)
        except Exception:  # a missed beat must never kill the worker
            log.warning("worker heartbeat failed", exc_info=True)
        _stop.wait(HEARTBEAT_SECONDS)


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    threading.Thread(target=_loop, args=(str(hostname),), name="wfos-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs: Any) -> None:
    _stop.set()
