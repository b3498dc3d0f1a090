"""A real Celery worker as a subprocess, for the integration and browser tests of simulations.

It runs `celery -A workflowos worker --pool=solo` with the environment of this process plus
DJANGO_ENV=test and the test database (the SQLite test file, or PostgreSQL's test_<name>), so it
sees what the test writes; REDIS_URL, when set, is inherited, so both sides use the same broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
START_TIMEOUT = 90.0
RUN_TIMEOUT = 180.0


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    if "postgresql" in s["ENGINE"]:
        auth = quote(s.get("USER") or "")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"])
        host = s.get("HOST") or "localhost"
        port = f":{s['PORT']}" if s.get("PORT") else ""
        return f"postgresql://{auth}{'@' if auth else ''}{host}{port}/{s['NAME']}"
    raise AssertionError(f"no worker DATABASE_URL for {s['ENGINE']}")


class Worker:
    def __init__(self, media_root: Path, log_path: Path) -> None:
        self.hostname = f"itest-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(media_root),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(CELERY if CELERY.exists() else Path(sys.executable).with_name("celery")),
                "-A",
                "workflowos",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                "celery",
                "--loglevel=INFO",
                f"--hostname={self.hostname}",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self) -> None:
        from core.models import WorkerHeartbeat

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the worker exited with {self.proc.returncode}:\n{self.tail()}")
            if WorkerHeartbeat.objects.filter(hostname=self.hostname).exists():
                return
            time.sleep(0.2)
        raise AssertionError(f"the worker did not report ready within {START_TIMEOUT:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()


def wait_for(
    what: str, check: Callable[[], Any], worker: Worker | None = None, timeout: float = RUN_TIMEOUT
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the worker's log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(
        f"timed out after {timeout:.0f} s waiting for {what}:\n{worker.tail() if worker else ''}"
    )
