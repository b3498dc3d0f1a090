"""``manage.py signing_keys``: a generated ring, set in the environment of several processes,
signs in one and verifies with the JWKS another one publishes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lib.jws import JwsError, verify_vc_jwt
from lib.keys import KeyRing
from tests.deploy.helpers import ROOT, manage, production_env

SIGN = """
import json, os
from datetime import UTC, datetime
from evidence.bundle import write_bundle
from lib.instance_keys import instance_ring
from lib.jws import sign_vc_jwt
ring = instance_ring()
write_bundle(os.environ["SIGN_OUT"] + "/bundle.zip", {"data/facts.json": b'{"answer": 42}'}, ring,
             created=datetime(2026, 1, 2, tzinfo=UTC), include_jwks=False)
credential = {"@context": ["https://www.w3.org/ns/credentials/v2"],
              "type": ["VerifiableCredential", "OpenBadgeCredential"],
              "issuer": {"id": "https://workflowos.example"},
              "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "urn:x"}}
print(sign_vc_jwt(credential, ring))
"""


def _generate(tmp_path) -> str:
    result = manage(production_env(tmp_path), "signing_keys", "generate")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()  # one line: fits an env file
    return line


def _verify_bundle(bundle, jwks_file) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflowos.cli", "verify-bundle", str(bundle), "--jwks", str(jwks_file),
         "--offline"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.integration
def test_generated_ring_signs_in_one_process_and_verifies_with_anothers_jwks(tmp_path):
    value = _generate(tmp_path / "gen")
    document = json.loads(value)
    (entry,) = document["keys"]
    assert entry["status"] == "active" and "PRIVATE KEY" in entry["private_key_pem"]

    # The signer (a worker, say) and the publisher (web) share only the variable, not a disk.
    signer = production_env(tmp_path / "signer", WORKFLOWOS_SIGNING_KEYS=value)
    web = production_env(tmp_path / "web", WORKFLOWOS_SIGNING_KEYS=value)

    shown = manage(web, "signing_keys", "show")
    assert shown.returncode == 0, shown.stderr
    assert "environment (WORKFLOWOS_SIGNING_KEYS)" in shown.stdout
    assert f"active   {entry['kid']}" in shown.stdout
    assert "PRIVATE" not in shown.stdout
    assert KeyRing.from_env_value(value).active().kid == entry["kid"]

    out = tmp_path / "out"
    out.mkdir()
    signed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SIGN],
        cwd=ROOT, env={**signer, "SIGN_OUT": str(out)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    token = signed.stdout.strip().splitlines()[-1]

    published = manage(web, "signing_keys", "show", "--jwks")
    assert published.returncode == 0, published.stderr
    jwks = json.loads(published.stdout)
    assert [k["kid"] for k in jwks["keys"]] == [entry["kid"]]
    assert all("d" not in k for k in jwks["keys"])  # public keys only
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(published.stdout)

    assert verify_vc_jwt(token, jwks).kid == entry["kid"]
    checked = _verify_bundle(out / "bundle.zip", jwks_file)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"signed by key {entry['kid']}" in checked.stdout

    # Another ring's JWKS does not verify them: the check can fail.
    other = tmp_path / "other.json"
    other.write_text(json.dumps(KeyRing.from_env_value(_generate(tmp_path / "gen2")).jwks()))
    assert _verify_bundle(out / "bundle.zip", other).returncode == 1
    with pytest.raises(JwsError):
        verify_vc_jwt(token, json.loads(other.read_text()))


def test_show_refuses_a_broken_variable_with_a_clear_message(tmp_path):
    env = production_env(tmp_path, WORKFLOWOS_SIGNING_KEYS='{"format": "nope"}')
    result = manage(env, "signing_keys", "show")
    assert result.returncode != 0
    assert "key ring: expected a workflowos.keyring/v1 document" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_lists_a_directory_ring(tmp_path):
    env = production_env(tmp_path, WORKFLOWOS_KEYS_DIR=str(tmp_path / "keys"))
    result = manage(env, "signing_keys", "show")
    assert result.returncode == 0, result.stderr
    kid = KeyRing(tmp_path / "keys").active().kid
    assert f"directory {tmp_path / 'keys'}" in result.stdout and f"active   {kid}" in result.stdout
