"""The image's web process for real: gunicorn with the image's config, JSON log lines, and the
python health check the Dockerfile and docker-compose.yml use."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from tests.deploy.helpers import ROOT, manage, production_env

PORT = 18121


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def _healthcheck(env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "healthcheck.py")],
        env={**env, "HEALTHCHECK_URL": url},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.integration
@pytest.mark.skipif(not (ROOT / "node_modules" / "htmx.org").is_dir(), reason="node_modules not installed")
def test_gunicorn_logs_json_and_the_health_check_reads_healthz(tmp_path):
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="true", STATIC_ROOT=str(tmp_path / "static"))
    # As the image is built: vendor files, then the hashed static files, then the database.
    vendored = subprocess.run(
        [str(ROOT / "scripts" / "vendor.sh")], capture_output=True, text=True, timeout=60
    )
    assert vendored.returncode == 0, vendored.stderr
    for command in (["collectstatic", "--noinput", "-v", "0"], ["migrate", "--noinput", "-v", "0"]):
        done = manage(env, *command)
        assert done.returncode == 0, done.stderr
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:workflowos.gunicorn_conf", "--workers", "1",
             "--bind", f"127.0.0.1:{PORT}", "workflowos.wsgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_port(PORT, time.monotonic() + 60)
        url = f"http://127.0.0.1:{PORT}/healthz"
        healthy = _healthcheck(env, url)
        # No worker runs here, so /healthz may say "degraded": the web container is still healthy
        # while it serves and reaches its database.
        assert healthy.returncode == 0, healthy.stderr

        wrong_host = _healthcheck({**env, "ALLOWED_HOSTS": "elsewhere.example"}, url)
        assert wrong_host.returncode == 1 and "400" in wrong_host.stderr
    finally:
        web.terminate()
        web.wait(timeout=30)

    down = _healthcheck(env, url)
    assert down.returncode == 1 and "unreachable" in down.stderr

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    assert any(r["logger"] == "gunicorn.error" and "Listening at" in r["message"] for r in records)
    access = [r for r in records if r["logger"] == "gunicorn.access" and "/healthz" in r["message"]]
    assert access and all({"time", "level", "message"} <= r.keys() for r in access)
