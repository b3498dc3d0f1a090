"""`make run`'s script as a person uses it: it prints a short banner with the address it serves,
signs that address into links (not 127.0.0.1:8000 on another port), and Ctrl-C stops the web
server and the Celery worker within ten seconds."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in the process group."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_ctrl_c_stops_web_and_worker_within_ten_seconds(tmp_path: Path) -> None:
    port = _free_port()
    drop = {"DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "WORKFLOWOS_PUBLIC_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"WORKFLOWOS_VAR_DIR": str(tmp_path / "var"), "PORT": str(port), "PYTHONUNBUFFERED": "1"})
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    log = (tmp_path / "run.log").open("wb")
    # A process group of its own, like a terminal's foreground job: Ctrl-C signals all of it.
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pgid = proc.pid
    try:
        deadline = time.monotonic() + 90
        worker_log = tmp_path / "var" / "log" / "worker.log"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    body = r.read().decode()
                if worker_log.exists() and "ready" in worker_log.read_text(errors="replace"):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the dev server or worker did not come up:\n" + (tmp_path / "run.log").read_text())
        assert "<html" in body.lower()

        banner = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{port}/" in banner
        assert "Ctrl-C" in banner

        started = time.monotonic()
        os.killpg(pgid, signal.SIGINT)
        while _group_alive(pgid) and time.monotonic() - started < 15:
            proc.poll()  # reap the script itself so it does not linger as a zombie
            time.sleep(0.1)
        stopped_after = time.monotonic() - started
        assert not _group_alive(pgid), "web or worker still running 15 s after Ctrl-C"
        assert stopped_after < 10, f"Ctrl-C took {stopped_after:.1f} s"
    finally:
        if _group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()


def test_public_url_follows_the_port_unless_set(tmp_path: Path) -> None:
    def public_url(extra: dict[str, str]) -> str:
        drop = {"DJANGO_ENV", "WORKFLOWOS_PUBLIC_URL", "HOST", "PORT"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update({"WORKFLOWOS_VAR_DIR": str(tmp_path), **extra})
        out = subprocess.run(
            [
                str(ROOT / ".venv/bin/python"),
                "-c",
                "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','workflowos.settings');"
                "django.setup();from django.conf import settings;print(settings.PUBLIC_URL)",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.strip()

    assert public_url({}) == "http://127.0.0.1:8000"
    assert public_url({"PORT": "8123"}) == "http://127.0.0.1:8123"
    assert public_url({"HOST": "0.0.0.0", "PORT": "9000"}) == "http://127.0.0.1:9000"
    assert public_url({"PORT": "8123", "WORKFLOWOS_PUBLIC_URL": "https://wfos.example.org/"}) == (
        "https://wfos.example.org"
    )
