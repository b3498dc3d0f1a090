"""The HTTP side of a delivery, against real local servers: one deadline for the whole request
(a receiver dripping its answer cannot hold a worker), TLS checked against the host name, and
only a short excerpt of the answer kept."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from notify.sender import EXCERPT_CHARS, post
from notify.targets import Target
from tests.notify.conftest import PORTS


def _listen() -> tuple[socket.socket, int]:
    for port in reversed(PORTS):  # the receiver fixture takes ports from the bottom
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(1)
        return sock, port
    raise RuntimeError("no free port")


@pytest.fixture
def dripping() -> Iterator[int]:
    """A server that answers one byte of its status line every 0.3 s, forever."""
    server, port = _listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(5)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" * 100:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    server.close()
    thread.join(timeout=5)


def test_a_dripping_receiver_is_cut_off_at_the_deadline(dripping):
    target = Target(f"http://127.0.0.1:{dripping}/", "http", "127.0.0.1", dripping, "/", "127.0.0.1")
    started = time.monotonic()
    outcome = post(target, body=b"{}", headers={}, timeout=1)
    assert outcome.status_code is None and outcome.error.startswith("timeout")
    assert time.monotonic() - started < 10  # generous: never the minutes a drip would take


@pytest.fixture
def tls_server(tmp_path) -> Iterator[int]:
    """An HTTPS server whose certificate is self-signed (no trusted CA vouches for it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server, port = _listen()

    def serve() -> None:
        server.settimeout(5)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    server.close()
    thread.join(timeout=5)


def test_tls_certificates_are_verified(tls_server):
    target = Target(
        f"https://hooks.example:{tls_server}/", "https", "hooks.example", tls_server, "/", "127.0.0.1"
    )
    outcome = post(target, body=b"{}", headers={}, timeout=3)
    assert outcome.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error or "certificate verify failed" in outcome.error


def test_only_an_excerpt_of_the_answer_is_kept(receiver):
    receiver.answer(200, "é".encode() * 10_000)
    target = Target(receiver.url, "http", "127.0.0.1", receiver.port, "/hooks/wfos", "127.0.0.1")
    outcome = post(target, body=b"{}", headers={"webhook-id": "msg_x"}, timeout=3)
    assert outcome.ok and len(outcome.excerpt) == EXCERPT_CHARS
    request = receiver.got()[0]
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["webhook-id"] == "msg_x"
