"""The public side: registry privacy, the record page, the verify API (valid, expired,
suspended, revoked, unknown, malformed), the shared status list, escaping, the certificate,
and the credential against the official OB 3.0 schema and a second JOSE library."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from jwcrypto import jwk, jws

from credentials.models import PersonalCredential
from credentials.services import credential_issue, credential_status_change
from tests.credentials.conftest import pass_attempt
from tests.standards import schema_errors
from tests.trustmarks.helpers import lead_assessor

pytestmark = pytest.mark.django_db
VERIFY = "/api/certify/credential/verify?id="


def issue(name="Jane Doe", listed=True, **kw):  # type: ignore[no-untyped-def]
    return credential_issue(user=None, holder_name=name, listed=listed, score=16, total=20, **kw)


def search(client, q):  # type: ignore[no-untyped-def]
    """The results table of a registry search ("" when nothing matched)."""
    page = client.get("/registry/", {"q": q}).content.decode()
    _, found, rest = page.partition('data-testid="registry-results"')
    return rest.partition("</table>")[0] if found else ""


def test_registry_search_is_exact_and_respects_consent(client_for):
    listed = issue("Jane Doe", listed=True)
    hidden = issue("John Hidden", listed=False)
    c = client_for(None)
    assert listed.credential_id in search(c, "jane doe")
    assert listed.credential_id not in search(c, "Jane")  # no partial names
    assert hidden.credential_id not in search(c, "John Hidden")  # not listed: never by name
    assert hidden.credential_id in search(c, hidden.credential_id)  # but always by its full id
    assert hidden.credential_id in search(c, hidden.credential_id.lower())
    assert search(c, listed.credential_id[:-1]) == ""  # never by a partial id
    assert search(c, f"AIDA-{listed.year}-") == "" and search(c, "AIDA") == ""
    assert search(c, "%") == "" and search(c, "_") == ""


def test_holder_changes_listing(personas, client_for):
    credential = pass_attempt(personas.pat, listed=False).credential
    anon, pat, gus = client_for(None), client_for(personas.pat), client_for(personas.gus)
    assert credential.credential_id not in search(anon, "Pat Practitioner")
    url = f"/credentials/mine/{credential.credential_id}/listing/"
    assert gus.post(url, {"listed": "on"}).status_code == 404
    assert pat.post(url, {"listed": "on"}).status_code == 302
    assert credential.credential_id in search(anon, "Pat Practitioner")
    pat.post(url, {})
    assert credential.credential_id not in search(anon, "Pat Practitioner")
    assert anon.get(f"{VERIFY}{credential.credential_id}").json()["valid"] is True


def test_record_page_and_expired_shown_as_expired(client_for):
    today = timezone.localdate()
    old = issue("Old Holder", issued_on=today - timedelta(days=800))
    c = client_for(None)
    page = c.get(f"/registry/{old.credential_id}").content.decode()
    assert "Expired — not valid" in page and "Old Holder" in page
    assert c.get("/registry/AIDA-2026-9999").status_code == 404
    assert c.get("/registry/nonsense").status_code == 404


def test_markup_in_names_is_escaped_everywhere(client_for):
    from credentials.certificate import render_certificate_html

    evil = issue('<script>alert(1)</script> "Bob"')
    c = client_for(None)
    for page in (c.get(f"/registry/{evil.credential_id}").content.decode(), search(c, evil.credential_id)):
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    document = render_certificate_html(credential=evil, status="active")
    assert "<script>" not in document and "&lt;script&gt;" in document
    pdf = c.get(f"/credentials/{evil.credential_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get(f"{VERIFY}{evil.credential_id}").json()["holder"] == evil.holder_name  # JSON, not HTML


def test_verify_api_answers(personas, client_for):
    today = timezone.localdate()
    valid = issue("Valid Person")
    expired = issue("Expired Person", issued_on=today - timedelta(days=800))
    suspended = issue("Suspended Person")
    revoked = issue("Revoked Person")
    credential_status_change(credential=suspended, actor=personas.ada, action="suspend", reason="check")
    credential_status_change(
        credential=revoked, actor=personas.ada, action="revoke", reason="fraud", approver=lead_assessor()
    )
    c = client_for(None)
    r = c.get(VERIFY + valid.credential_id.lower())
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*" and r["ETag"]
    body = r.json()
    assert list(body)[:5] == ["valid", "holder", "credential", "expires", "id"]
    assert body["valid"] is True and body["holder"] == "Valid Person" and body["status"] == "active"
    assert c.get(VERIFY + valid.credential_id, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    for cred, status in ((expired, "expired"), (suspended, "suspended"), (revoked, "revoked")):
        body = c.get(VERIFY + cred.credential_id).json()
        assert body["valid"] is False and body["status"] == status
    unknown = c.get(VERIFY + "AIDA-2026-9999")
    assert unknown.status_code == 404 and unknown.json() == {
        "valid": False,
        "id": "AIDA-2026-9999",
        "error": "not_found",
    }
    for bad in ("", "AIDA-2026-1", "AIDA-26-0001", "TM-00142", "AIDA-2026-0001x", "AIDA-2026-%25"):
        r = c.get(VERIFY + bad)
        assert r.status_code == 400 and r.json()["error"] == "invalid_id", bad
    assert c.get("/api/certify/credential/verify").status_code == 400
    assert c.get(f"{VERIFY}{valid.credential_id}&id={valid.credential_id}").status_code == 400
    assert c.options(VERIFY + valid.credential_id)["Access-Control-Allow-Origin"] == "*"
    assert c.post(VERIFY + valid.credential_id).status_code == 405


def test_verify_api_is_rate_limited(settings, client_for):
    settings.RATELIMIT_ENABLE = True
    settings.VERIFY_RATE = "5/m"
    credential = issue()
    c = client_for(None)
    codes = [c.get(VERIFY + credential.credential_id).status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_status_shared_with_trust_marks(personas, rubric_version, client_for):
    from tests.trustmarks.helpers import issue_mark
    from trustmarks.credentials import verify_credential_jwt

    credential = issue()
    mark = issue_mark(personas, rubric_version)
    assert mark.revocation_index != credential.status_index
    c = client_for(None)
    jwks = json.loads(c.get("/.well-known/jwks.json").content)

    def fetch(url: str) -> str:
        return c.get(url.removeprefix("https://certify.example.org")).content.decode()

    assert verify_credential_jwt(credential.credential_jwt, jwks, status_fetcher=fetch).ok
    credential_status_change(credential=credential, actor=personas.ada, action="suspend", reason="check")
    result = verify_credential_jwt(credential.credential_jwt, jwks, status_fetcher=fetch)
    assert not result.ok and result.code == "suspended"
    mark_result = verify_credential_jwt(mark.credential_jwt, jwks, status_fetcher=fetch)
    assert mark_result.ok  # the mark's entry in the same list is untouched


def payload(token: str) -> dict:
    from lib.keys import b64url_decode

    return json.loads(b64url_decode(token.split(".")[1]))


def test_credential_validates_against_the_official_ob3_schema(settings):
    import os

    os.environ.setdefault("WORKFLOWOS_STANDARDS_DIR", "/work/shared/standards")
    credential = issue("Zoë <b>O'Brien</b>")
    document = {
        k: v
        for k, v in payload(credential.credential_jwt).items()
        if k not in ("iss", "sub", "nbf", "exp", "iat")
    }
    assert schema_errors("openbadges/ob_v3p0_achievementcredential_schema.json", document) == []
    assert document["credentialSubject"]["name"] == "Zoë <b>O'Brien</b>"  # data, not markup
    status = document["credentialStatus"]
    assert isinstance(status, dict) and status["statusPurpose"] == "message"
    assert status["statusListIndex"] == str(credential.status_index)
    assert document["evidence"][0]["name"] == credential.credential_id


def test_a_second_jose_library_verifies_the_credential(client_for):
    credential = issue()
    keys = jwk.JWKSet.from_json(client_for(None).get("/.well-known/jwks.json").content.decode())
    token = jws.JWS()
    token.deserialize(credential.credential_jwt)
    assert token.jose_header["alg"] == "EdDSA" and token.jose_header["typ"] == "vc+jwt"
    token.verify(keys.get_key(token.jose_header["kid"].rpartition("#")[2]), alg="EdDSA")
    assert json.loads(token.payload)["credentialSubject"]["name"] == "Jane Doe"
    jwt_response = client_for(None).get(f"/credentials/{credential.credential_id}/credential.jwt")
    assert jwt_response["Content-Type"] == "application/vc+jwt"
    assert jwt_response.content.decode() == credential.credential_jwt


def test_issuance_and_status_changes_reach_the_public_log(personas):
    from core.models import AuditEvent

    credential = issue()
    credential_status_change(credential=credential, actor=personas.ada, action="suspend", reason="secret")
    events = list(
        AuditEvent.objects.filter(chain="trustmarks", object_id=credential.credential_id).order_by("sequence")
    )
    assert [e.action for e in events] == ["personal_credential.issued", "personal_credential.suspend"]
    assert "secret" not in json.dumps(events[1].data)


def test_seed_demo_holders(personas):
    from credentials import demo

    log: list[str] = []
    demo.seed(log)
    demo.seed(log)  # idempotent
    assert len(log) == 1
    today = timezone.localdate()
    statuses = sorted(c.effective_status(today) for c in PersonalCredential.objects.all())
    assert statuses == ["active", "expired", "suspended"]
    assert PersonalCredential.objects.get(user=personas.pat).is_valid()


def test_workflowos_verify_credential_accepts_personal_credentials(personas, client_for, tmp_path, capsys):
    import argparse

    from trustmarks import verify_cli

    credential = issue("Cli Holder")
    c = client_for(None)
    (tmp_path / "c.jwt").write_text(credential.credential_jwt)
    (tmp_path / "jwks.json").write_text(c.get("/.well-known/jwks.json").content.decode())
    (tmp_path / "status.jwt").write_text(c.get("/api/certify/status/message").content.decode())

    def run(*extra: str) -> int:
        parser = argparse.ArgumentParser()
        verify_cli.configure(parser)
        args = parser.parse_args([str(tmp_path / "c.jwt"), "--jwks", str(tmp_path / "jwks.json"), *extra])
        return verify_cli.run(args)

    assert run("--offline") == 0
    assert f"valid: {credential.credential_id} Cli Holder" in capsys.readouterr().out
    assert run("--offline", "--status-list", str(tmp_path / "status.jwt")) == 0
    credential_status_change(credential=credential, actor=personas.ada, action="suspend", reason="x")
    (tmp_path / "status.jwt").write_text(c.get("/api/certify/status/message").content.decode())
    assert run("--offline", "--status-list", str(tmp_path / "status.jwt")) == 1
    assert "invalid: suspended" in capsys.readouterr().out
