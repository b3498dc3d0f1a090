from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evidence.bundle import write_bundle
from lib.keys import KeyRing
from trustmarks.badges import render_badge_png, render_badge_svg
from workflowos.cli import main

from .helpers import HOSTILE, make_credential, make_token, status_list_tokens


def until_of(token_kwargs: dict | None = None) -> str:
    cred = make_credential(**(token_kwargs or {}))
    return cred["validUntil"][:10]


@pytest.fixture
def jwks_file(ring: KeyRing, tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(ring.jwks()))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


# --- verify-credential --------------------------------------------------------------------------


def test_a_token_on_the_command_line_verifies_offline(ring, jwks_file, capsys):
    code, out, _ = run(capsys, "verify-credential", make_token(ring), "--jwks", jwks_file, "--offline")
    assert code == 0
    assert out == f"valid: TM-00142 Acme AI, valid until {until_of()} (status not checked: offline)"


def test_a_token_file_verifies(ring, jwks_file, tmp_path, capsys):
    path = tmp_path / "acme.credential.jwt"  # a name that itself looks like a.b.c
    path.write_text(make_token(ring) + "\n")
    code, out, _ = run(capsys, "verify-credential", str(path), "--jwks", jwks_file, "--offline")
    assert code == 0 and out.startswith("valid: TM-00142 Acme AI")


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_baked_badges_verify(ring, jwks_file, tmp_path, capsys, kind):
    token = make_token(ring, company=HOSTILE)
    args = {
        "mark_id": "TM-00142",
        "company": HOSTILE,
        "status": "active",
        "valid_until": date(2026, 12, 31),
        "psf_version": "v1.1",
        "verify_url": "https://certify.example.org/verify/TM-00142",
        "credential_jwt": token,
    }
    path = tmp_path / f"badge.{kind}"
    if kind == "svg":
        path.write_text(render_badge_svg(**args))
    else:
        path.write_bytes(render_badge_png(**args))

    code, out, _ = run(capsys, "verify-credential", str(path), "--jwks", jwks_file, "--offline")

    assert code == 0
    assert out.startswith(f"valid: TM-00142 {HOSTILE}, valid until")


def test_tampered_expired_and_foreign_tokens_are_invalid(ring, jwks_file, tmp_path, capsys):
    token = make_token(ring)
    head, body, sig = token.split(".")
    tampered = f"{head}.{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    code, out, _ = run(capsys, "verify-credential", tampered, "--jwks", jwks_file, "--offline")
    assert (code, out) == (1, "invalid: the signature does not verify")

    start = datetime.now(UTC) - timedelta(days=400)
    expired = make_token(ring, valid_from=start, valid_until=start + timedelta(days=365))
    code, out, _ = run(capsys, "verify-credential", expired, "--jwks", jwks_file, "--offline")
    assert code == 1 and out.startswith("invalid: expired on ") and out.endswith("(TM-00142 Acme AI)")

    foreign = make_token(KeyRing(tmp_path / "other"))
    code, out, _ = run(capsys, "verify-credential", foreign, "--jwks", jwks_file, "--offline")
    assert code == 1 and "is not in the issuer's key set" in out


def test_unusable_input_exits_2(ring, jwks_file, tmp_path, capsys):
    token = make_token(ring)
    no_credential = tmp_path / "plain.svg"
    no_credential.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 nothing here")
    for argv in (
        ["verify-credential", str(tmp_path / "missing.jwt"), "--jwks", jwks_file, "--offline"],
        ["verify-credential", str(no_credential), "--jwks", jwks_file, "--offline"],
        ["verify-credential", str(garbage), "--jwks", jwks_file, "--offline"],
        ["verify-credential", token, "--offline"],  # offline without keys
        ["verify-credential", token, "--jwks", str(tmp_path / "nope.json"), "--offline"],
        [
            "verify-credential",
            token,
            "--jwks",
            "https://certify.example.org/.well-known/jwks.json",
            "--offline",
        ],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert out == "" and err.startswith("error: ")


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
def test_status_lists_given_as_files_are_checked_offline(ring, jwks_file, tmp_path, capsys, legacy):
    token = make_token(ring, legacy=legacy, status_index=5, revocation_index=5, suspension_index=6)
    files = []
    for n, list_token in enumerate(status_list_tokens(ring, revoked={5}, legacy=legacy).values()):
        path = tmp_path / f"list{n}.jwt"
        path.write_text(list_token)
        files += ["--status-list", str(path)]

    code, out, _ = run(capsys, "verify-credential", token, "--jwks", jwks_file, "--offline", *files)

    assert (code, out) == (1, "invalid: revoked (TM-00142 Acme AI)")


class _Issuer:
    """A tiny local issuer serving /.well-known/jwks.json and the two status lists."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                body = routes.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, ring: KeyRing, **flags: set[int]) -> None:
        self.routes["/.well-known/jwks.json"] = json.dumps(ring.jwks()).encode()
        for url, token in status_list_tokens(ring, issuer=self.url, **flags).items():
            self.routes[url.removeprefix(self.url)] = token.encode()


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Issuer]:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    server = _Issuer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_online_verification_fetches_the_issuers_keys_and_status_lists(ring, issuer, capsys):
    token = make_token(ring, issuer=issuer.url, status_index=10)

    issuer.publish(ring)
    code, out, _ = run(capsys, "verify-credential", token)
    assert code == 0 and out == f"valid: TM-00142 Acme AI, valid until {until_of()}"
    # One status list: the credential's single two-bit entry carries suspension and revocation.
    assert set(issuer.requests) == {"/.well-known/jwks.json", "/api/certify/status/message"}

    issuer.publish(ring, suspended={10})
    code, out, _ = run(capsys, "verify-credential", token, "--jwks", f"{issuer.url}/.well-known/jwks.json")
    assert (code, out) == (1, "invalid: suspended (TM-00142 Acme AI)")

    issuer.publish(ring, revoked={10})
    assert run(capsys, "verify-credential", token)[:2] == (1, "invalid: revoked (TM-00142 Acme AI)")

    issuer.routes.pop("/api/certify/status/message")
    code, out, _ = run(capsys, "verify-credential", token)
    assert code == 1 and out.startswith("invalid: could not check status")


def test_online_verification_of_a_credential_issued_before_the_message_list(ring, issuer, capsys):
    token = make_token(ring, legacy=True, issuer=issuer.url, revocation_index=10, suspension_index=20)

    issuer.publish(ring)
    code, out, _ = run(capsys, "verify-credential", token)
    assert code == 0 and out == f"valid: TM-00142 Acme AI, valid until {until_of()}"
    assert set(issuer.requests) == {
        "/.well-known/jwks.json",
        "/api/certify/status/revocation",
        "/api/certify/status/suspension",
    }

    issuer.publish(ring, suspended={20})
    assert run(capsys, "verify-credential", token)[:2] == (1, "invalid: suspended (TM-00142 Acme AI)")

    issuer.publish(ring, revoked={10})
    assert run(capsys, "verify-credential", token)[:2] == (1, "invalid: revoked (TM-00142 Acme AI)")


# --- verify-bundle ------------------------------------------------------------------------------


@pytest.fixture
def bundle_path(ring: KeyRing, tmp_path: Path) -> Path:
    path = tmp_path / "evidence.zip"
    write_bundle(
        path,
        {"pack.pdf": b"%PDF-1.7 x", "data/a.json": b"{}"},
        ring,
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return path


def test_verify_bundle_ok_with_the_published_keys(ring, bundle_path, jwks_file, capsys):
    code, out, err = run(capsys, "verify-bundle", str(bundle_path), "--jwks", jwks_file)
    assert code == 0 and err == ""
    assert out == f"ok: 2 files match the manifest of 2026-01-01T00:00:00Z, signed by key {ring.active().kid}"


def test_verify_bundle_without_keys_warns_that_the_embedded_keys_prove_nothing_about_origin(
    ring, bundle_path, capsys
):
    code, out, err = run(capsys, "verify-bundle", str(bundle_path))
    assert code == 0 and out.startswith("ok: 2 files")
    assert err.startswith("warning:") and ring.active().kid in err and "/.well-known/jwks.json" in err


def test_verify_bundle_names_what_was_altered(bundle_path, jwks_file, capsys):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(bundle_path) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"{ }" if name == "data/a.json" else src.read(name))
    bundle_path.write_bytes(buf.getvalue())

    code, out, _ = run(capsys, "verify-bundle", str(bundle_path), "--jwks", jwks_file)

    assert code == 1
    assert out.splitlines() == [
        f"invalid: 1 problem(s) in {bundle_path}",
        "  altered: data/a.json (its SHA-256 differs from the manifest)",
    ]


def test_verify_bundle_unusable_input_exits_2(tmp_path, jwks_file, capsys):
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"hello")
    assert run(capsys, "verify-bundle", str(not_zip), "--jwks", jwks_file)[0] == 2
    assert run(capsys, "verify-bundle", str(tmp_path / "missing.zip"), "--jwks", jwks_file)[0] == 2
    assert run(capsys, "verify-bundle", str(not_zip), "--jwks", str(tmp_path / "missing.json"))[0] == 2
