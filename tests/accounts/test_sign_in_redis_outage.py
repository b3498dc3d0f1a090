"""A real Redis (our own, on a port of this test's range) as the cache behind the sign-in throttle:
the lock works while it runs; when it stops, sign-in still works (the throttle fails open), and
when it comes back the throttle counts again."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PORT = 18441
OWNER = "pat@acme.example"


def _port_open() -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", PORT)) == 0


class RedisProcess:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _port_open():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    if _port_open():
        pytest.skip(f"port {PORT} is in use")
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _sign_in(client: Client, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/sign-in/", {"email": OWNER, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_survives_a_redis_outage(personas, redis, caplog):
    cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{PORT}/0",
        }
    }
    with override_settings(CACHES=cache):
        attacker = Client()
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            assert _sign_in(attacker, "wrong-password-1", "198.51.100.7").status_code == 400
        assert _sign_in(attacker, settings.DEMO_PASSWORD, "198.51.100.7").status_code == 429

        redis.stop()
        # Redis is down: no 500; the throttle fails open and says so in the log.
        owner = Client()
        assert _sign_in(owner, "wrong-password-1", "203.0.113.20").status_code == 400
        assert _sign_in(owner, settings.DEMO_PASSWORD, "203.0.113.20").status_code == 302
        assert owner.get("/dashboard/").status_code == 200
        admin = Client()
        resp = admin.post(
            "/admin/login/", {"username": "root@workflowos.example", "password": settings.DEMO_PASSWORD}
        )
        assert resp.status_code == 302
        assert "sign-in throttle unavailable" in caplog.text

        redis.start()  # back, empty (no persistence): the throttle counts again
        again = Client()
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _sign_in(again, "wrong-password-1", "198.51.100.8")
        assert _sign_in(again, settings.DEMO_PASSWORD, "198.51.100.8").status_code == 429
