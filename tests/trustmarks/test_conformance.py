"""Open Badges 3.0 / VC 2.0 conformance of issued credentials and the published status lists.

Checked against the published artefacts in ``../shared/standards/`` (not hand-written subsets):
1EdTech's OB 3.0 ``AchievementCredential`` JSON schema (draft 2019-09), the W3C VC 2.0 JSON schema
(draft 2020-12), and JSON-LD expansion in safe mode with the official VC 2.0 and OB 3.0 contexts
(the copies shipped in ``trustmarks/contexts/``, served by a loader that never uses the network).
Signatures are also checked with jwcrypto, a JOSE library independent of the one that signs
(PyJWT) and of joserfc used elsewhere. The README's "Verify with any JOSE library" snippet runs
here as written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator, Draft202012Validator
from jwcrypto import jwk, jws
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from lib.keys import b64url_decode
from tests.crypto.helpers import legacy_sign
from tests.standards import REPO, standards_file
from tests.trustmarks.helpers import ISSUER, lead_assessor
from trustmarks import jsonld
from trustmarks.jsonld import JsonLdSafeModeError, expand_safe

pytestmark = pytest.mark.django_db

JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
LISTS = ("message", "revocation", "suspension")
JWT_CLAIMS = ("iss", "sub", "nbf", "exp", "iat")


# --- helpers ------------------------------------------------------------------------------------


def _no_network(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)  # every $ref must resolve inside the schemas themselves


def validator(kind: str) -> Any:
    """A validator for the official OB 3.0 or VC 2.0 schema, with its own draft and format checks."""
    if kind == "ob3":
        path, cls = (
            standards_file("openbadges", "ob_v3p0_achievementcredential_schema.json"),
            Draft201909Validator,
        )
    else:
        path, cls = standards_file("vc", "w3c-vcdm2-verifiable-credential-schema.json"), Draft202012Validator
    schema = json.loads(path.read_text("utf-8"))
    assert schema["$schema"].rstrip("#") == cls.META_SCHEMA["$id"].rstrip("#")
    cls.check_schema(schema)
    registry: Registry = Registry(retrieve=_no_network).with_resource(  # type: ignore[call-arg]
        schema["$id"], Resource.from_contents(schema)
    )
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def schema_errors(kind: str, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator(kind).iter_errors(document)
    ]


def published_jwks(client) -> dict[str, Any]:
    return json.loads(client.get("/.well-known/jwks.json").content)


def fetch(client, url: str) -> str:
    resp = client.get(url.removeprefix(ISSUER))
    assert resp.status_code == 200, url
    return resp.content.decode()


def header_of(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[0]))


def payload_of(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[1]))


def jwcrypto_verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The payload once jwcrypto has verified the signature with the key the ``kid`` names."""
    keys = jwk.JWKSet.from_json(json.dumps(jwks))
    verifier = jws.JWS()
    verifier.deserialize(token)
    kid = verifier.jose_header["kid"].rpartition("#")[2]
    verifier.verify(keys.get_key(kid), alg="EdDSA")
    return json.loads(verifier.payload)


def legacy_token(mark) -> str:  # type: ignore[no-untyped-def]
    """The mark's credential as issued before: two one-bit entries, bare-thumbprint kid, jti."""
    credential = {k: v for k, v in payload_of(mark.credential_jwt).items() if k not in JWT_CLAIMS}
    credential["credentialStatus"] = [
        {
            "id": f"{ISSUER}/api/certify/status/{purpose}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": f"{ISSUER}/api/certify/status/{purpose}",
        }
        for purpose, index in (("revocation", mark.revocation_index), ("suspension", mark.suspension_index))
    ]
    from trustmarks.signing import signing_ring

    return legacy_sign(credential, signing_ring())


@pytest.fixture
def marks(make_mark, personas) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One mark per status, plus a renewed one (re-signed), all issued by the real services."""
    from trustmarks.services import trust_mark_renew, trust_mark_review

    out = {
        status: make_mark(company=f"{status.title()} Co", status=status)
        for status in ("active", "suspended", "revoked")
    }
    to_renew = make_mark(company="Renewed Co")
    trust_mark_review(
        mark=to_renew,
        actor=personas.ada,
        evidence_valid=True,
        scores=dict(to_renew.scores),
        notes="Evidence current",
    )
    out["renewed"] = trust_mark_renew(mark=to_renew, actor=personas.ada, reason="Review passed")
    return out


# --- the contexts we ship -----------------------------------------------------------------------


def test_shipped_contexts_are_the_official_files():
    shipped = REPO / "trustmarks" / "contexts"
    assert (shipped / "credentials-v2.jsonld").read_bytes() == standards_file(
        "vc", "credentials-v2.jsonld"
    ).read_bytes()
    assert (shipped / "ob-context-3.0.3.json").read_bytes() == standards_file(
        "openbadges", "ob-context-3.0.3.json"
    ).read_bytes()


def test_the_document_loader_serves_only_shipped_files(monkeypatch):
    import urllib.request

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the JSON-LD loader tried the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    doc = jsonld.document_loader("https://www.w3.org/ns/credentials/v2")
    assert doc["document"]["@context"]["@protected"] is True
    for url in (
        "https://www.w3.org/2018/credentials/v1",
        "https://attacker.example/context.json",
        "file:///etc/passwd",
    ):
        with pytest.raises(JsonLdSafeModeError, match="not shipped"):
            jsonld.document_loader(url)


# --- schemas ------------------------------------------------------------------------------------


def test_the_official_example_passes_and_our_old_shape_fails_the_ob3_schema():
    """The validator is the real one: 1EdTech's own example passes, a two-entry status fails."""
    example = json.loads(standards_file("openbadges", "1edtech-spec-full-example.json").read_text("utf-8"))
    assert schema_errors("ob3", example) == []
    assert (
        schema_errors("vc", json.loads(standards_file("vc", "w3c-vcdm2-example-1.json").read_text("utf-8")))
        == []
    )
    broken = dict(example, credentialStatus=[example["credentialStatus"], example["credentialStatus"]])
    assert any(e.startswith("credentialStatus") for e in schema_errors("ob3", broken))


def test_every_credential_validates_against_the_ob3_and_vc2_schemas(client, marks):
    for status, mark in marks.items():
        token = fetch(client, f"/trust-marks/{mark.mark_id}/credential.jwt")
        payload = payload_of(token)
        credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
        for document in (payload, credential):
            assert schema_errors("ob3", document) == [], status
            assert schema_errors("vc", document) == [], status
        entry = payload["credentialStatus"]
        assert isinstance(entry, dict) and entry["type"] == "BitstringStatusListEntry", status
        assert (entry["statusPurpose"], entry["statusSize"]) == ("message", 2)
        assert [m["message"] for m in entry["statusMessage"]] == ["active", "suspended", "revoked", "invalid"]
        assert "jti" not in payload


def test_every_status_list_validates_against_the_vc2_schema(client, marks):
    for purpose in LISTS:
        payload = payload_of(fetch(client, f"/api/certify/status/{purpose}"))
        assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert payload["credentialSubject"]["statusPurpose"] == purpose
        assert schema_errors("vc", payload) == [], purpose


# --- JSON-LD ------------------------------------------------------------------------------------


def test_credentials_and_status_lists_expand_in_safe_mode(client, marks):
    for mark in marks.values():
        payload = payload_of(fetch(client, f"/trust-marks/{mark.mark_id}/credential.jwt"))
        (node,) = expand_safe(payload)
        assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential" in node["@type"]
        (status,) = node["https://www.w3.org/2018/credentials#credentialStatus"]
        assert status["https://www.w3.org/ns/credentials/status#statusPurpose"] == [{"@value": "message"}]
        assert status["https://www.w3.org/ns/credentials/status#statusSize"] == [
            {"@type": "https://www.w3.org/2001/XMLSchema#integer", "@value": 2}  # sic: the context says https
        ]
        assert {
            "https://www.iana.org/assignments/jose#iss",
            "https://www.iana.org/assignments/jwt#exp",
        } <= set(node)
    for purpose in LISTS:
        (node,) = expand_safe(payload_of(fetch(client, f"/api/certify/status/{purpose}")))
        assert "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential" in node["@type"]


def test_safe_mode_rejects_what_a_strict_processor_rejects(client, marks):
    payload = payload_of(marks["active"].credential_jwt)
    with pytest.raises(JsonLdSafeModeError, match="jti"):  # what every credential carried before
        expand_safe(dict(payload, jti=payload["id"]))
    with pytest.raises(JsonLdSafeModeError, match="statusSize"):
        status_list = payload_of(fetch(client, "/api/certify/status/message"))
        status_list["credentialSubject"]["statusSize"] = 2  # a term of the entry, not of the list
        expand_safe(status_list)
    with pytest.raises(JsonLdSafeModeError, match="relative @id"):
        expand_safe(dict(payload, evidence=[dict(payload["evidence"][0], id="verify/TM-00142")]))


# --- keys and signatures ------------------------------------------------------------------------


def test_kid_is_the_jwks_url_with_the_thumbprint_as_fragment(client, marks):
    jwks = published_jwks(client)
    tokens = [fetch(client, f"/trust-marks/{m.mark_id}/credential.jwt") for m in marks.values()]
    tokens += [fetch(client, f"/api/certify/status/{purpose}") for purpose in LISTS]
    for token in tokens:
        kid = header_of(token)["kid"]
        url, _, thumbprint = kid.partition("#")
        assert url == JWKS_URL
        dereferenced = json.loads(fetch(client, url))  # the URL serves the key set …
        assert dereferenced == jwks
        assert [k["kid"] for k in dereferenced["keys"]].count(thumbprint) == 1  # … the fragment names one key


def test_a_second_jose_library_verifies_credentials_and_status_lists(client, marks):
    jwks = published_jwks(client)
    for mark in marks.values():
        token = fetch(client, f"/trust-marks/{mark.mark_id}/credential.jwt")
        assert jwcrypto_verify(token, jwks)["credentialSubject"]["name"] == mark.company_name
        head, body, sig = token.split(".")
        with pytest.raises(jws.InvalidJWSSignature):
            jwcrypto_verify(f"{head}.{body[:-4]}AAAA.{sig}", jwks)
    for purpose in LISTS:
        token = fetch(client, f"/api/certify/status/{purpose}")
        assert jwcrypto_verify(token, jwks)["credentialSubject"]["statusPurpose"] == purpose
        head, body, sig = token.split(".")
        with pytest.raises(jws.InvalidJWSSignature):
            jwcrypto_verify(f"{head}.{body[:-8]}AAAAAAAA.{sig}", jwks)


# --- status --------------------------------------------------------------------------------------


def test_the_message_list_follows_the_lifecycle(client, make_mark, personas):
    from trustmarks.services import trust_mark_reinstate, trust_mark_revoke, trust_mark_suspend
    from trustmarks.statuslist import verify_status_list_jwt

    mark, bystander = make_mark(), make_mark(company="Bystander")
    jwks = published_jwks(client)
    now = datetime.now(UTC)

    def values() -> tuple[int, int, bool, bool]:
        lists = {
            p: verify_status_list_jwt(fetch(client, f"/api/certify/status/{p}"), jwks, now=now) for p in LISTS
        }
        return (
            lists["message"].value(mark.revocation_index, 2),
            lists["message"].value(bystander.revocation_index, 2),
            lists["revocation"].get(mark.revocation_index),  # the older lists stay in step
            lists["suspension"].get(mark.suspension_index),
        )

    assert values() == (0, 0, False, False)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="PSF-6 queue off")
    assert values() == (1, 0, False, True)
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="Queue restored", approver=lead_assessor())
    assert values() == (0, 0, False, False)
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Withdrawn", approver=lead_assessor())
    assert values() == (2, 0, True, False)


def test_current_and_old_credentials_verify_with_our_verifier_and_cli(
    client, make_mark, personas, tmp_path, capsys
):
    from trustmarks.credentials import verify_credential_jwt
    from trustmarks.services import trust_mark_revoke, trust_mark_suspend
    from workflowos.cli import main

    mark = make_mark()
    jwks = published_jwks(client)
    current, old = mark.credential_jwt, legacy_token(mark)
    assert header_of(old)["kid"] == header_of(current)["kid"].rpartition("#")[2] and "jti" in payload_of(old)
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))

    def cli(token: str) -> tuple[int, str]:
        files = []
        for purpose in LISTS:
            (tmp_path / f"{purpose}.jwt").write_text(fetch(client, f"/api/certify/status/{purpose}"))
            files += ["--status-list", str(tmp_path / f"{purpose}.jwt")]
        code = main(["verify-credential", token, "--jwks", str(tmp_path / "jwks.json"), "--offline", *files])
        return code, capsys.readouterr().out.strip()

    for expected in ("ok", "suspended", "revoked"):
        if expected == "suspended":
            trust_mark_suspend(mark=mark, actor=personas.ada, reason="Finding")
        if expected == "revoked":
            trust_mark_revoke(mark=mark, actor=personas.ada, reason="Not fixed", approver=lead_assessor())
        for token in (current, old):
            result = verify_credential_jwt(token, jwks, status_fetcher=lambda url: fetch(client, url))
            assert result.code == expected and result.ok == (expected == "ok")
            code, out = cli(token)
            assert code == (0 if expected == "ok" else 1)
            assert (
                out.startswith("valid: TM-00142 Acme AI")
                if expected == "ok"
                else out == f"invalid: {expected} (TM-00142 Acme AI)"
            )


# --- the README's third-party example -----------------------------------------------------------


def readme_snippet() -> str:
    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("#### Verify with any JOSE library") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's JOSE section has no Python example"
    return match.group(1)


def test_the_readme_jwcrypto_example_runs_as_written(client, make_mark, personas, tmp_path):
    from trustmarks.services import trust_mark_revoke, trust_mark_suspend

    mark = make_mark()
    code = readme_snippet()
    assert "jwcrypto" in code

    def run() -> subprocess.CompletedProcess[str]:
        (tmp_path / "credential.jwt").write_text(fetch(client, f"/trust-marks/{mark.mark_id}/credential.jwt"))
        (tmp_path / "jwks.json").write_text(fetch(client, "/.well-known/jwks.json"))
        (tmp_path / "status.jwt").write_text(fetch(client, "/api/certify/status/message"))
        return subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    done = run()
    assert (done.returncode, done.stdout.strip()) == (0, "TM-00142 Acme AI active"), done.stderr
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Finding")
    assert run().stdout.strip() == "TM-00142 Acme AI suspended"
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Not fixed", approver=lead_assessor())
    assert run().stdout.strip() == "TM-00142 Acme AI revoked"

    # A tampered credential does not get through the example.
    head, body, sig = (tmp_path / "credential.jwt").read_text().split(".")
    (tmp_path / "credential.jwt").write_text(f"{head}.{body[:-4]}AAAA.{sig}")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "InvalidJWSSignature" in done.stderr


# --- bringing credentials issued before up to date ------------------------------------------------


def test_resign_credentials_replaces_only_outdated_credentials(client, make_mark, personas, capsys):
    from django.core.management import call_command

    from trustmarks.credentials import is_outdated, verify_credential_jwt
    from trustmarks.services import trust_mark_suspend

    old_mark, current_mark = make_mark(), make_mark(company="Current Co")
    old_mark.credential_jwt = legacy_token(old_mark)
    old_mark.save(update_fields=["credential_jwt"])
    trust_mark_suspend(mark=old_mark, actor=personas.ada, reason="Finding")
    old_mark.refresh_from_db()
    before_old, before_current = old_mark.credential_jwt, current_mark.credential_jwt
    assert is_outdated(before_old) and not is_outdated(before_current)

    call_command("resign_credentials")
    assert "Re-signed 1 credential." in capsys.readouterr().out
    old_mark.refresh_from_db()
    current_mark.refresh_from_db()
    assert current_mark.credential_jwt == before_current
    assert not is_outdated(old_mark.credential_jwt)
    served = fetch(client, f"/trust-marks/{old_mark.mark_id}/credential.jwt")
    assert served == old_mark.credential_jwt
    new, old = payload_of(served), payload_of(before_old)
    assert (new["id"], new["validFrom"], new["validUntil"]) == (
        old["id"],
        old["validFrom"],
        old["validUntil"],
    )
    assert schema_errors("ob3", new) == []
    jwks = published_jwks(client)
    for token in (served, before_old):  # the token handed out before still verifies, and says suspended
        result = verify_credential_jwt(token, jwks, status_fetcher=lambda url: fetch(client, url))
        assert result.code == "suspended"


# --- the JavaScript reference tools (optional) ----------------------------------------------------


def _node_tools_dir() -> Path:
    """A folder whose ``node_modules`` has ``jsonld`` and ``jose`` (``WORKFLOWOS_NODE_TOOLS``, or
    the repository's own), else skip."""
    candidates = [Path(p) for p in [os.environ.get("WORKFLOWOS_NODE_TOOLS", "")] if p] + [REPO]
    for folder in candidates:
        modules = folder / "node_modules"
        if shutil.which("node") and all((modules / n / "package.json").is_file() for n in ("jsonld", "jose")):
            return folder
    pytest.skip(
        "node with the npm packages jsonld and jose is not available (set WORKFLOWOS_NODE_TOOLS to a "
        "folder whose node_modules has both)"
    )


def test_jsonld_js_safe_mode_and_node_jose_agree(client, marks, tmp_path):
    folder = _node_tools_dir()
    jwks = published_jwks(client)
    tokens = [fetch(client, f"/trust-marks/{m.mark_id}/credential.jwt") for m in marks.values()]
    tokens += [fetch(client, f"/api/certify/status/{purpose}") for purpose in LISTS]
    old = legacy_token(marks["active"])
    head, body, sig = tokens[0].split(".")
    data = {
        "contexts": {url: str(jsonld.CONTEXTS_DIR / name) for url, name in jsonld.CONTEXT_FILES.items()},
        "documents": [payload_of(t) for t in tokens] + [payload_of(old)],
        "tokens": [*tokens, old, f"{head}.{body[:-4]}AAAA.{sig}"],
        "jwks": jwks,
    }
    (tmp_path / "input.json").write_text(json.dumps(data))
    script = (Path(__file__).parent / "node_conformance.mjs").read_text("utf-8")
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, str(tmp_path / "input.json")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["documents"][:-1] == ["ok"] * len(tokens)
    assert result["documents"][-1].startswith("Safe mode validation error")  # the old payload fails …
    assert '"property":"jti"' in result["documents"][-1]  # … on jti
    assert result["tokens"] == ["ok"] * (len(tokens) + 1) + ["ERR_JWS_SIGNATURE_VERIFICATION_FAILED"]


def test_the_readme_node_jose_example_runs_as_written(client, make_mark, tmp_path):
    folder = _node_tools_dir()
    text = (REPO / "README.md").read_text("utf-8")
    match = re.search(r"```js\n(.*?)```", text[text.index("#### Verify with any JOSE library") :], re.S)
    assert match, "the README's JOSE section has no node example"
    mark = make_mark()
    (tmp_path / "node_modules").symlink_to(folder / "node_modules")
    (tmp_path / "jwks.json").write_text(fetch(client, "/.well-known/jwks.json"))

    def run(token: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "credential.jwt").write_text(token)
        return subprocess.run(
            ["node", "--input-type=module", "-e", match.group(1)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    token = fetch(client, f"/trust-marks/{mark.mark_id}/credential.jwt")
    done = run(token)
    assert (done.returncode, done.stdout.strip()) == (0, "TM-00142 Acme AI"), done.stderr
    head, body, sig = token.split(".")
    done = run(f"{head}.{body[:-4]}AAAA.{sig}")
    assert done.returncode != 0 and "signature verification failed" in done.stderr
