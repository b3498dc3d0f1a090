"""One webhook HTTP request to a checked target: no redirects, short timeouts, a small excerpt of
the answer kept and nothing more."""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

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


class _DeadlineReader(io.RawIOBase):
    """Reads the answer with the socket's timeout shrunk to what is left of the whole request's
    time, so a receiver that drips a byte every few seconds cannot hold a worker for long."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline
        # The socket's own unbuffered reader: it keeps the socket open until it is closed too.
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the receiver took too long to answer")
        self._sock.settimeout(left)
        return self._raw.readinto(buffer) or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """The few socket methods http.client uses, with reads bounded by one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(max(0.01, self._deadline - time.monotonic()))
        self._sock.sendall(data)

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def close(self) -> None:
        self._sock.close()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address
        self._deadline = time.monotonic() + 2 * timeout  # connect, send and read, all together

    def _open(self) -> socket.socket:
        return socket.create_connection((self._address, self.port), self.timeout)

    def connect(self) -> None:
        self.sock = _DeadlineSocket(self._open(), self._deadline)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target, timeout)
        self._context = ssl.create_default_context()

    def _open(self) -> socket.socket:
        # The certificate is checked against the host name, as for any HTTPS request.
        return self._context.wrap_socket(super()._open(), server_hostname=self.host)


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
