from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from evidence import bundle
from evidence.bundle import BundleError, build_manifest, verify_bundle, write_bundle
from lib.keys import KeyRing

CREATED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
FILES = {
    "evidence-pack.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "data/workflows/support-triage.v3.json": b'{"format": "workflowos.workflow/v1", "nodes": []}',
    "data/analyses/support-triage.v3.json": b'{"domains": {"PSF-1": 4.2}}',
    "data/simulations/run-17.json": b'{"verdict": "pass"}',
}


def make_bundle(ring: KeyRing) -> bytes:
    out = io.BytesIO()
    write_bundle(out, FILES, ring, created=CREATED)
    return out.getvalue()


def rewrite(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """The same ZIP with ``change`` applied to its {name: content} entries."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    change(entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_manifest_lists_every_file_sorted_with_hash_and_size():
    manifest = build_manifest(FILES, created=CREATED, generator="WorkflowOS test")

    assert manifest["format"] == "workflowos.evidence-manifest/v1"
    assert manifest["created"] == "2026-03-04T05:06:07Z"
    assert manifest["generator"] == "WorkflowOS test"
    assert [f["path"] for f in manifest["files"]] == sorted(FILES)
    pdf = next(f for f in manifest["files"] if f["path"] == "evidence-pack.pdf")
    assert pdf == {
        "path": "evidence-pack.pdf",
        "sha256": hashlib.sha256(FILES["evidence-pack.pdf"]).hexdigest(),
        "size": len(FILES["evidence-pack.pdf"]),
    }


@pytest.mark.parametrize(
    "path", ["../etc/passwd", "/abs", "a//b", "a\\b", "manifest.json", "C:/x", "./a", ""]
)
def test_unsafe_or_reserved_paths_cannot_be_bundled(path: str):
    with pytest.raises(ValueError):
        build_manifest({path: b"x"})


def test_an_intact_bundle_verifies(ring: KeyRing):
    data = make_bundle(ring)

    result = verify_bundle(data, ring.jwks())

    assert (result.ok, result.problems, result.files_checked) == (True, [], 4)
    assert result.kid == ring.active().kid and not result.used_embedded_jwks
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert set(archive.namelist()) == set(FILES) | {"manifest.json", "manifest.sig", "jwks.json"}


def test_bundles_are_reproducible(ring: KeyRing):
    assert make_bundle(ring) == make_bundle(ring)


def test_the_manifest_signature_verifies_with_an_independent_library(ring: KeyRing):
    with zipfile.ZipFile(io.BytesIO(make_bundle(ring))) as archive:
        manifest, signature = archive.read("manifest.json"), archive.read("manifest.sig")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864)
        verified = jws.deserialize_compact(
            signature, KeySet.import_key_set(ring.jwks()), algorithms=["EdDSA"], payload=manifest
        )
    assert verified.headers()["kid"] == ring.active().kid
    assert json.loads(manifest)["files"][0]["path"] == "data/analyses/support-triage.v3.json"


def test_a_changed_byte_in_a_file_is_named(ring: KeyRing):
    def flip(entries: dict[str, bytes]) -> None:
        content = bytearray(entries["evidence-pack.pdf"])
        content[100] ^= 1
        entries["evidence-pack.pdf"] = bytes(content)

    result = verify_bundle(rewrite(make_bundle(ring), flip), ring.jwks())

    assert not result.ok
    assert result.problems == ["altered: evidence-pack.pdf (its SHA-256 differs from the manifest)"]


def test_a_removed_file_is_named(ring: KeyRing):
    result = verify_bundle(
        rewrite(make_bundle(ring), lambda e: e.pop("data/simulations/run-17.json")), ring.jwks()
    )
    assert result.problems == [
        "missing: data/simulations/run-17.json (listed in the manifest, not in the ZIP)"
    ]


def test_an_added_file_is_named(ring: KeyRing):
    result = verify_bundle(
        rewrite(make_bundle(ring), lambda e: e.update({"data/extra.json": b"{}"})), ring.jwks()
    )
    assert result.problems == ["extra: data/extra.json (in the ZIP but not in the manifest)"]


def test_an_altered_manifest_breaks_the_signature(ring: KeyRing):
    def edit(entries: dict[str, bytes]) -> None:
        manifest = json.loads(entries["manifest.json"])
        forged = b'{"domains": {"PSF-1": 5.0}}'
        manifest["files"][0]["sha256"] = hashlib.sha256(forged).hexdigest()
        manifest["files"][0]["size"] = len(forged)
        entries["manifest.json"] = bundle.manifest_bytes(manifest)
        entries["data/analyses/support-triage.v3.json"] = forged

    result = verify_bundle(rewrite(make_bundle(ring), edit), ring.jwks())

    assert result.problems == [
        "manifest.sig: the signature does not match manifest.json (one of them was altered)"
    ]


def test_an_altered_signature_is_named(ring: KeyRing):
    def edit(entries: dict[str, bytes]) -> None:
        head, empty, sig = entries["manifest.sig"].decode().split(".")
        entries["manifest.sig"] = f"{head}.{empty}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}".encode()

    result = verify_bundle(rewrite(make_bundle(ring), edit), ring.jwks())
    assert result.problems == [
        "manifest.sig: the signature does not match manifest.json (one of them was altered)"
    ]


def test_missing_manifest_and_signature_are_named(ring: KeyRing):
    result = verify_bundle(rewrite(make_bundle(ring), lambda e: e.pop("manifest.sig")), ring.jwks())
    assert result.problems == ["missing: manifest.sig"]
    result = verify_bundle(rewrite(make_bundle(ring), lambda e: e.pop("manifest.json")), ring.jwks())
    assert "missing: manifest.json" in result.problems and not result.ok


def test_a_bundle_re_signed_with_another_key_is_rejected_with_the_published_keys(
    ring: KeyRing, tmp_path: Path
):
    attacker = KeyRing(tmp_path / "attacker")
    forged = io.BytesIO()
    write_bundle(forged, {**FILES, "evidence-pack.pdf": b"%PDF forged"}, attacker, created=CREATED)

    result = verify_bundle(forged.getvalue(), ring.jwks())
    assert not result.ok
    assert result.problems == [
        f"manifest.sig: key {attacker.active().kid} is not in the issuer's key set (signed by another key)"
    ]
    # With only its own embedded jwks.json it looks intact: that is why the CLI warns.
    embedded = verify_bundle(forged.getvalue(), None)
    assert embedded.ok and embedded.used_embedded_jwks and embedded.kid == attacker.active().kid


def test_bundles_signed_before_rotation_still_verify(ring: KeyRing):
    data = make_bundle(ring)
    ring.rotate()
    assert verify_bundle(data, ring.jwks()).ok


def test_zip_tricks_are_named(ring: KeyRing):
    def traversal(entries: dict[str, bytes]) -> None:
        entries["../../etc/cron.d/evil"] = b"x"

    result = verify_bundle(rewrite(make_bundle(ring), traversal), ring.jwks())
    assert result.problems == ["unsafe: '../../etc/cron.d/evil' in the ZIP (empty, '.' or '..' path segment)"]

    data = make_bundle(ring)
    out = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(out, "a") as archive:
            archive.writestr("evidence-pack.pdf", b"%PDF second copy")
    result = verify_bundle(out.getvalue(), ring.jwks())
    assert result.problems == ["duplicate: evidence-pack.pdf appears more than once in the ZIP"]


def test_oversize_entries_and_non_zip_input_are_unusable(ring: KeyRing, monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(BundleError):
        verify_bundle(b"not a zip at all", ring.jwks())
    # A highly compressible entry larger than the cap is refused while reading, whatever its header says.
    monkeypatch.setattr(bundle, "MAX_FILE_BYTES", 1000)
    with pytest.raises(BundleError):
        verify_bundle(make_bundle(ring), ring.jwks())
