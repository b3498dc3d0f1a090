"""Running ``workflowos verify-log`` in tests against the Django test client (no network)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tests.trustmarks.helpers import ISSUER


def fetch_via(client: Any) -> Any:
    """The CLI's fetch, served by the Django test client instead of the network."""

    def fetch(url: str) -> tuple[int, bytes]:
        assert url.startswith(ISSUER), url
        resp = client.get(url.removeprefix(ISSUER))
        return resp.status_code, resp.content

    return fetch


def verify_log(
    client: Any, tmp_path: Path, *extra: str, saved: str = "saved.txt", key: str | None = None
) -> int:
    from trustmarks import verify_log_cli
    from workflowos.cli import build_parser

    argv = ["verify-log", "--url", ISSUER, "--checkpoint", str(tmp_path / saved), *extra]
    if key:
        argv += ["--key", key]
    args = build_parser().parse_args(argv)
    assert isinstance(args, argparse.Namespace)
    return int(verify_log_cli.run(args, fetch=fetch_via(client)))
