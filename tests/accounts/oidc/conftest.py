"""A real OpenID Provider (npm `oidc-provider`, run by node) for the single sign-on tests.

node_modules come from ``WORKFLOWOS_OIDC_NODE_PATH`` (a node_modules folder holding
oidc-provider) or the repository's own node_modules; without either, or without node, the
end-to-end tests skip and say why. ``WORKFLOWOS_TEST_PORTS=18150-18199`` keeps the providers'
ports in a range (default: any free port).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "workflowos"
CLIENT_SECRET = "test-secret with spaces&symbols"  # proves the secret is form-encoded for Basic auth
SECRET_ENV = "WORKFLOWOS_TEST_OIDC_SECRET"
START_TIMEOUT = 30
ACCOUNTS = {
    "jo@acme.example": {"email": "jo@acme.example", "email_verified": True, "name": "Jo New"},
    "pat@acme.example": {"email": "pat@acme.example", "email_verified": True, "name": "Pat"},
    "unverified@acme.example": {"email": "unverified@acme.example", "email_verified": False},
    "eve@elsewhere.example": {"email": "eve@elsewhere.example", "email_verified": True},
    "root@workflowos.example": {"email": "root@workflowos.example", "email_verified": True},
}


def node_modules() -> Path | None:
    configured = os.environ.get("WORKFLOWOS_OIDC_NODE_PATH")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO / "node_modules")
    for folder in candidates:
        if (folder / "oidc-provider" / "package.json").exists():
            return folder
    return None


def free_port() -> int:
    span = os.environ.get("WORKFLOWOS_TEST_PORTS", "")
    ports = range(int(span.split("-")[0]), int(span.split("-")[1]) + 1) if "-" in span else [0]
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in {span}")


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[str]
    log: Any


@pytest.fixture(scope="session")
def oidc_node_path() -> Path:
    folder = node_modules()
    if shutil.which("node") is None:
        pytest.skip("the OpenID Connect tests need node on PATH to run the oidc-provider package")
    if folder is None:
        pytest.skip(
            "the OpenID Connect tests need the npm package oidc-provider: set WORKFLOWOS_OIDC_NODE_PATH "
            "to a node_modules folder holding it, or install it in the repository (npm install)"
        )
    return folder


def _start(node_path: Path, redirect_uri: str, **options: Any) -> RunningProvider:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]},
        {"client_id": "another-app", "client_secret": "another-secret", "redirect_uris": [redirect_uri]},
    ]
    config = {"port": port, "issuer": issuer, "clients": clients, "accounts": ACCOUNTS, **options}
    # Its warnings go to a file, so a full pipe never blocks it; closed by _stop().
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    process = subprocess.Popen(
        ["node", str(SCRIPT), json.dumps(config)],
        env={**os.environ, "NODE_PATH": str(node_path)},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("listening"):
        process.kill()
        process.wait()
        log.seek(0)
        raise RuntimeError(f"oidc-provider did not start in {START_TIMEOUT} s: {line!r} {log.read()[-2000:]}")
    return RunningProvider(issuer=issuer, process=process, log=log)


def _stop(running: RunningProvider) -> None:
    running.process.terminate()
    try:
        running.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        running.process.kill()
    running.log.close()


@pytest.fixture(scope="module")
def op(oidc_node_path: Path, live_server: Any) -> Iterator[RunningProvider]:
    """The well-behaved provider, shared by a module's tests."""
    running = _start(oidc_node_path, f"{live_server.url}/accounts/oidc/callback/")
    yield running
    _stop(running)


@pytest.fixture
def start_op(oidc_node_path: Path, live_server: Any) -> Iterator[Callable[..., RunningProvider]]:
    """Start a provider with test-only options (a wrong clock, a wrong audience) for one test."""
    started: list[RunningProvider] = []

    def start(**options: Any) -> RunningProvider:
        running = _start(oidc_node_path, f"{live_server.url}/accounts/oidc/callback/", **options)
        started.append(running)
        return running

    yield start
    for running in started:
        _stop(running)
