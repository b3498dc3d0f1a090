from __future__ import annotations

import json
import multiprocessing
import stat
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from lib.errors import DomainError
from lib.keys import (
    KEYRING_FILE,
    KeyRing,
    generate_keyring_document,
    jwk_thumbprint,
    load_jwks,
    verify_with_jwks,
)


def test_kid_is_the_rfc7638_thumbprint():
    # RFC 8037 Appendix A.3: the thumbprint of the example Ed25519 key.
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_ring_is_created_on_first_use_with_private_permissions(tmp_path: Path):
    directory = tmp_path / "var" / "keys"
    ring = KeyRing(directory)
    assert not directory.exists()

    active = ring.active()

    assert stat.S_IMODE((directory / KEYRING_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert active.status == "active" and active.created is not None
    # The published kid agrees with an independent library's thumbprint of the public key.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert OKPKey.import_key(active.public_jwk).thumbprint() == active.kid


def test_jwks_publishes_public_keys_only(ring: KeyRing):
    jwks = ring.jwks()

    assert [set(k) for k in jwks["keys"]] == [{"kty", "crv", "x", "kid", "alg", "use"}]
    key = jwks["keys"][0]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "PRIVATE KEY" not in json.dumps(jwks)


def test_rotation_retires_the_old_key_but_keeps_publishing_it(ring: KeyRing, tmp_path: Path):
    old_kid, old_sig = ring.sign(b"signed before rotation")

    new_kid = ring.rotate(now=datetime(2026, 5, 1, tzinfo=UTC))

    assert new_kid != old_kid
    assert ring.active().kid == new_kid
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new_kid, old_kid]
    statuses = {k.kid: (k.status, k.retired) for k in ring.all_keys()}
    assert statuses[old_kid] == ("retired", datetime(2026, 5, 1, tzinfo=UTC))
    assert statuses[new_kid] == ("active", None)
    # Old signatures still verify with the published set; new ones use the new key.
    assert verify_with_jwks(ring.jwks(), old_kid, b"signed before rotation", old_sig)
    kid, sig = ring.sign(b"after")
    assert kid == new_kid and verify_with_jwks(ring.jwks(), new_kid, b"after", sig)
    # The rotation is on disk: a fresh ring on the same directory sees it.
    assert KeyRing(tmp_path / "keys").active().kid == new_kid


def test_a_running_process_notices_rotation_by_another(tmp_path: Path):
    web = KeyRing(tmp_path / "keys")
    first = web.active().kid

    second = KeyRing(tmp_path / "keys").rotate()

    assert second != first
    assert web.active().kid == second
    assert web.sign(b"x")[0] == second


def test_signing_with_a_kid_that_was_rotated_away_is_refused(ring: KeyRing):
    old = ring.active().kid
    ring.rotate()
    with pytest.raises(DomainError) as info:
        ring.sign(b"x", kid=old)
    assert info.value.code == "key_rotated"


def test_verify_with_jwks_rejects_wrong_signature_unknown_kid_and_other_keys(ring: KeyRing, tmp_path: Path):
    kid, sig = ring.sign(b"payload")
    other = KeyRing(tmp_path / "other")

    assert verify_with_jwks(ring.jwks(), kid, b"payload", sig)
    assert not verify_with_jwks(ring.jwks(), kid, b"payloaD", sig)
    assert not verify_with_jwks(ring.jwks(), "no-such-kid", b"payload", sig)
    assert not verify_with_jwks(other.jwks(), kid, b"payload", sig)
    assert not verify_with_jwks({"keys": [{**ring.jwks()["keys"][0], "crv": "X25519"}]}, kid, b"payload", sig)


def _create_and_report(directory: str, barrier, queue) -> None:
    barrier.wait()
    queue.put(KeyRing(Path(directory)).active().kid)


def test_concurrent_creation_yields_a_single_active_key(tmp_path: Path):
    ctx = multiprocessing.get_context("fork")
    workers = 6
    barrier = ctx.Barrier(workers)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_create_and_report, args=(str(tmp_path / "keys"), barrier, queue))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    kids = [queue.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    assert len(set(kids)) == 1
    assert len(json.loads((tmp_path / "keys" / KEYRING_FILE).read_text())["keys"]) == 1


def test_ring_from_environment_json_is_read_only(tmp_path: Path):
    value = generate_keyring_document()
    ring = KeyRing.from_environment(tmp_path / "unused", {"WORKFLOWOS_SIGNING_KEYS": value})

    assert ring.read_only
    assert ring.active().kid == json.loads(value)["keys"][0]["kid"]
    kid, sig = ring.sign(b"x")
    assert verify_with_jwks(ring.jwks(), kid, b"x", sig)
    with pytest.raises(DomainError):
        ring.rotate()
    assert not (tmp_path / "unused").exists()


def test_ring_from_environment_pem_blocks_last_is_active(tmp_path: Path):
    pems = []
    for _ in range(2):
        doc = json.loads(generate_keyring_document())
        pems.append(doc["keys"][0]["private_key_pem"])
    ring = KeyRing.from_env_value("\n".join(pems))

    keys = ring.all_keys()
    assert [k.status for k in keys] == ["active", "retired"]
    assert len(ring.jwks()["keys"]) == 2


def test_without_the_variable_the_directory_is_used(tmp_path: Path):
    ring = KeyRing.from_environment(tmp_path / "keys", {})
    assert not ring.read_only
    ring.active()
    assert (tmp_path / "keys" / KEYRING_FILE).exists()


@pytest.mark.parametrize(
    "value",
    ["not json or pem", '{"format": "workflowos.keyring/v1", "keys": []}', "{broken"],
)
def test_unusable_environment_values_are_refused(value: str):
    with pytest.raises(DomainError):
        KeyRing.from_env_value(value)


def test_a_keyring_file_whose_kid_does_not_match_its_key_is_refused(ring: KeyRing, tmp_path: Path):
    ring.active()
    path = tmp_path / "keys" / KEYRING_FILE
    data = json.loads(path.read_text())
    data["keys"][0]["kid"] = "forged"
    path.write_text(json.dumps(data))
    with pytest.raises(DomainError):
        KeyRing(tmp_path / "keys").active()


def test_load_jwks_reads_files_and_refuses_network_when_offline(ring: KeyRing, tmp_path: Path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(ring.jwks()))

    assert load_jwks(str(path)) == ring.jwks()
    with pytest.raises(ValueError, match="offline"):
        load_jwks("https://certify.example.org/.well-known/jwks.json", allow_network=False)
    (tmp_path / "bad.json").write_text('{"nokeys": 1}')
    with pytest.raises(ValueError):
        load_jwks(str(tmp_path / "bad.json"))
