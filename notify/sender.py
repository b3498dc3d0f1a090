"""One webhook HTTP request to a checked target: no redirects, short timeouts, a small excerpt of
the answer kept and nothing more."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .targets import Target

EXCERPT_CHARS = 200
READ_LIMIT = 2048  # bytes of the answer ever read
USER_AGENT = "WorkflowOS-Webhooks/1 (+https://www.standardwebhooks.com)"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, as for any HTTPS request.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``target``; never raises for network trouble (it becomes ``error``)."""
    conn: http.client.HTTPConnection
    conn = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    started = time.monotonic()
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
        **headers,
    }
    try:
        conn.request("POST", target.path, body=body, headers=all_headers)
        response = conn.getresponse()
        raw = response.read(READ_LIMIT)
        excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        return Outcome(
            status_code=response.status,
            error="",
            excerpt=excerpt,
            duration_ms=int((time.monotonic() - started) * 1000),
            retry_after=_retry_after(response.getheader("Retry-After")),
        )
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
        return Outcome(
            status_code=None,
            error=f"{kind}: {exc}"[:300],
            excerpt="",
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        conn.close()
