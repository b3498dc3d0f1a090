"""Notification test set-up: trust marks signed with a per-test key ring, and a REAL local HTTP
receiver (a threaded http.server on this helper's port range) that records what it is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.trustmarks.helpers import ISSUER

PORTS = range(18800, 18900)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from trustmarks import verify_cache

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.PUBLIC_URL = ISSUER
    settings.ISSUER_NAME = "PAI Certification (test)"
    settings.REDIS_URL = ""
    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS = False
    settings.WORKFLOWOS_WEBHOOK_TIMEOUT = 5
    cache.clear()
    verify_cache.reset()
    yield
    cache.clear()
    verify_cache.reset()


@pytest.fixture
def make_mark(personas, rubric_version):  # type: ignore[no-untyped-def]
    from tests.trustmarks.helpers import issue_mark

    def make(**kwargs):  # type: ignore[no-untyped-def]
        return issue_mark(personas, rubric_version, **kwargs)

    return make


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and what it answers next (a list of statuses, then 200)."""

    url: str
    port: int
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.answers.append((status, headers or {}, body))

    def got(self) -> list[Received]:
        with self.lock:
            return list(self.requests)


def _start_receiver() -> tuple[ThreadingHTTPServer, Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["r"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers, answer = receiver.answers.pop(0) if receiver.answers else (200, {}, b"ok")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    last_error: OSError | None = None
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            last_error = exc
            continue
        receiver = Receiver(url=f"http://127.0.0.1:{port}/hooks/wfos", port=port)
        holder["r"] = receiver
        return server, receiver
    raise RuntimeError(f"no free port in {PORTS}: {last_error}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server, rec = _start_receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def token_for(personas):  # type: ignore[no-untyped-def]
    from accounts.services.tokens import api_token_issue

    def make(user: Any) -> str:
        return api_token_issue(user=user, name="subscriptions test")

    return make
