"""Production logs are one JSON object per line, from the web process and the Celery worker."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.deploy.helpers import ROOT, manage, production_env
from workflowos.logs import RequestIdFilter, RequestIdMiddleware

REDIS_PORT = 18111


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "no log output"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return records


def test_production_logs_are_json_lines(tmp_path):
    script = (
        "import logging\n"
        "logging.getLogger('workflowos.probe').warning('disk %s is full', '/var \"x\"')\n"
        "try:\n    1 / 0\n"
        "except ZeroDivisionError:\n    logging.getLogger('workflowos.probe').exception('it failed')\n"
    )
    result = manage(production_env(tmp_path), "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    records = [r for r in _json_lines(result.stderr) if r.get("logger") == "workflowos.probe"]
    warning, error = records
    assert warning["message"] == 'disk /var "x" is full' and warning["level"] == "WARNING"
    assert {"time", "level", "logger", "message", "request_id"} <= warning.keys()
    assert str(warning["time"]).endswith("+00:00")
    assert error["level"] == "ERROR" and "ZeroDivisionError" in str(error["exc_info"])


def test_text_logs_outside_production(tmp_path):
    env = production_env(tmp_path, DJANGO_ENV="development", LOG_FORMAT="text")
    result = manage(env, "shell", "-c", "import logging; logging.getLogger('p').warning('plain')")
    assert result.returncode == 0, result.stderr
    assert "WARNING p [-] plain" in result.stderr


def test_a_log_record_carries_the_request_id(caplog):
    seen: list[str] = []

    def view(request):
        record = logging.LogRecord("v", logging.INFO, __file__, 1, "in view", None, None)
        RequestIdFilter().filter(record)
        seen.append(record.request_id)
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    given = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="proxy-abc-12345"))
    fresh = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>"))
    assert given["X-Request-ID"] == seen[0] == "proxy-abc-12345"
    assert fresh["X-Request-ID"] == seen[1] and seen[1] != "<script>" and len(seen[1]) == 32
    after = logging.LogRecord("v", logging.INFO, __file__, 1, "after", None, None)
    RequestIdFilter().filter(after)
    assert after.request_id == "-"


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def _start_and_wait(
    command: list[str], env: dict[str, str], log: Path, marker: str
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workflowos", "--quiet", *command],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and marker not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    return proc


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.integration
def test_celery_worker_and_beat_logs_are_json_lines(tmp_path):
    redis = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _wait_port(REDIS_PORT, time.monotonic() + 20)
        env = production_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0")
        worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
        worker_command = ["worker", "--loglevel=INFO", "--concurrency=1", "--pool=solo", "--without-mingle",
                          "--without-gossip"]  # fmt: skip
        procs.append(_start_and_wait(worker_command, env, worker_log, "ready."))
        beat_command = ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"]
        procs.append(_start_and_wait(beat_command, env, beat_log, "Starting..."))
        for log, marker in ((worker_log, "ready."), (beat_log, "Starting...")):
            text = log.read_text(errors="replace")
            assert marker in text, text
            records = _json_lines(text)
            assert any(r["logger"].startswith("celery") and marker in str(r["message"]) for r in records)
    finally:
        for proc in [*procs, redis]:
            _stop(proc)
