"""Issuance, the assessor lifecycle, status lists, expiry, renewal, the public log and key rotation."""

from __future__ import annotations

import json
import warnings
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from lib.errors import DomainError
from tests.trustmarks.helpers import ISSUER, decode_list, lead_assessor, passed_assessment

pytestmark = pytest.mark.django_db


def published_jwks(client) -> dict:
    resp = client.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    return json.loads(resp.content)


def jose_verify(token: str, jwks: dict) -> dict:
    """Verify with joserfc (not PyJWT, which signs), from the published JWKS only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by "Ed25519"
        keys = KeySet.import_key_set(jwks)
        # kid = "<JWKS URL>#<thumbprint>" (older tokens: the bare thumbprint); the fragment is the key's kid.
        resolve = lambda obj: keys.get_by_kid(obj.headers()["kid"].rpartition("#")[2])  # noqa: E731
        return jose_jwt.decode(token, resolve, algorithms=["EdDSA"]).claims


# --- issuance -----------------------------------------------------------------------------------


def test_issue_on_pass(make_mark, personas):
    from core.models import AuditEvent

    mark = make_mark()
    today = timezone.localdate()
    assert mark.mark_id == "TM-00142"
    assert mark.organisation == personas.acme and mark.company_name == "Acme AI"
    assert mark.rubric_version.version == "1.1"
    assert mark.domains == "PSF-1..8"
    assert list(mark.scores) == [f"PSF-{n}" for n in range(1, 9)]
    assert mark.issued == today
    assert mark.expires == today.replace(year=today.year + 1)
    assert mark.status == "active" and mark.is_valid()
    assert mark.last_review == today
    assert mark.next_review == mark.expires - timedelta(days=60)
    assert 0 <= mark.revocation_index < 131_072 and 0 <= mark.suspension_index < 131_072
    event = AuditEvent.objects.get(chain="trustmarks", object_id="TM-00142")
    assert event.action == "trust_mark.issued"
    assert event.data["status"] == "active" and event.data["company"] == "Acme AI"
    assert mark.events.get().action == "issued"


def test_numbers_count_up_from_142_and_indexes_are_random_and_unique(make_mark):
    marks = [make_mark(company=f"Org {n}") for n in range(6)]
    assert [m.mark_id for m in marks] == [f"TM-{n:05d}" for n in range(142, 148)]
    revocation = [m.revocation_index for m in marks]
    assert len(set(revocation)) == 6 and len({m.suspension_index for m in marks}) == 6
    assert revocation != sorted(revocation) or max(revocation) - min(revocation) > 100


def test_issue_is_idempotent_per_assessment(make_mark, personas):
    from trustmarks.services import trust_mark_issue

    mark = make_mark()
    assert trust_mark_issue(assessment=mark.assessment, actor=personas.ada).pk == mark.pk


def test_issue_refuses_unpassed_assessment_and_non_assessors(personas, rubric_version):
    from trustmarks.services import trust_mark_issue

    assessment = passed_assessment(personas.acme, rubric_version, personas.ada)
    with pytest.raises(DomainError) as exc:
        trust_mark_issue(assessment=assessment, actor=personas.pat)
    assert exc.value.status == 403
    assessment.status = "in_review"
    assessment.save()
    with pytest.raises(DomainError) as exc:
        trust_mark_issue(assessment=assessment, actor=personas.ada)
    assert exc.value.code == "not_passed"


def test_issue_refuses_missing_domain_scores(personas, rubric_version):
    from trustmarks.services import trust_mark_issue

    assessment = passed_assessment(personas.acme, rubric_version, personas.ada, scores={"PSF-1": 3.0})
    with pytest.raises(DomainError, match="PSF-2"):
        trust_mark_issue(assessment=assessment, actor=personas.ada)


def test_sequence_survives_a_lost_row(make_mark):
    from trustmarks.models import TrustMarkSequence

    make_mark()
    TrustMarkSequence.objects.all().delete()
    assert make_mark(company="Next").mark_id == "TM-00143"


# --- credential ----------------------------------------------------------------------------------


def test_credential_verifies_with_independent_library_and_published_jwks_only(client, make_mark):
    mark = make_mark()
    resp = client.get(f"/trust-marks/{mark.mark_id}/credential.jwt")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/vc+jwt"
    token = resp.content.decode()
    header = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    jwks = published_jwks(client)
    assert header["kid"].startswith(f"{ISSUER}/.well-known/jwks.json#")
    assert header["kid"].rpartition("#")[2] in [k["kid"] for k in jwks["keys"]]
    assert all("d" not in k for k in jwks["keys"])
    claims = jose_verify(token, jwks)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["issuer"]["id"] == ISSUER == claims["iss"]
    assert claims["credentialSubject"]["name"] == "Acme AI"
    assert claims["credentialSubject"]["achievement"]["name"] == "PSF v1.1 Production Safe"
    assert "PSF-1..8" in claims["credentialSubject"]["achievement"]["tag"]
    assert claims["validFrom"] == f"{mark.issued.isoformat()}T00:00:00Z"
    assert claims["validUntil"] == f"{mark.expires.isoformat()}T23:59:59Z"
    assert claims["evidence"][0]["id"] == f"{ISSUER}/verify/TM-00142"
    status = claims["credentialStatus"]
    assert (status["statusPurpose"], status["statusSize"]) == ("message", 2)
    assert status["statusListIndex"] == str(mark.revocation_index)
    assert status["statusListCredential"] == f"{ISSUER}/api/certify/status/message"
    # Tampering breaks it.
    head, body, sig = token.split(".")
    with pytest.raises(BadSignatureError):
        jose_verify(f"{head}.{body[:-4]}AAAA.{sig}", jwks)


def test_credential_checks_with_our_cli_against_served_status_lists(client, make_mark, personas, tmp_path):
    from trustmarks.credentials import verify_credential_jwt
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    jwks = published_jwks(client)

    def fetch(url: str) -> str:
        return client.get(url.removeprefix(ISSUER)).content.decode()

    assert verify_credential_jwt(mark.credential_jwt, jwks, status_fetcher=fetch).ok
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Review finding")
    result = verify_credential_jwt(mark.credential_jwt, jwks, status_fetcher=fetch)
    assert not result.ok and result.code == "suspended"


# --- lifecycle and status lists -----------------------------------------------------------------


def test_status_list_flips_on_suspend_reinstate_revoke(client, make_mark, personas):
    from trustmarks.services import trust_mark_reinstate, trust_mark_revoke, trust_mark_suspend

    mark = make_mark()
    other = make_mark(company="Bystander")
    jwks = published_jwks(client)

    def bits():
        rev, sus = decode_list(client, "revocation", jwks), decode_list(client, "suspension", jwks)
        assert len(rev.bits) * 8 >= 131_072 and len(sus.bits) * 8 >= 131_072
        return rev.get(mark.revocation_index), sus.get(mark.suspension_index), sus.get(other.suspension_index)

    lee = lead_assessor()
    assert bits() == (False, False, False)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="PSF-6 queue off")
    assert bits() == (False, True, False)
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="Queue restored and shown", approver=lee)
    assert bits() == (False, False, False)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Again")
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Not fixed in 30 days", approver=lee)
    assert bits() == (True, False, False)
    assert (
        decode_list(client, "revocation", jwks).bits.count(0)
        == len(decode_list(client, "revocation", jwks).bits) - 1
    )


def test_transitions_need_a_reason_an_assessor_and_a_valid_state(make_mark, personas):
    from trustmarks.services import (
        trust_mark_renew,
        trust_mark_request_reinstate,
        trust_mark_request_revoke,
        trust_mark_revoke,
        trust_mark_suspend,
    )

    mark = make_mark()
    with pytest.raises(DomainError, match="reason"):
        trust_mark_suspend(mark=mark, actor=personas.ada, reason="   ")
    with pytest.raises(DomainError) as exc:
        trust_mark_suspend(mark=mark, actor=personas.alice, reason="I want to")
    assert exc.value.status == 403
    with pytest.raises(DomainError, match="only a suspended mark"):
        trust_mark_request_reinstate(mark=mark, actor=personas.ada, reason="Nothing to lift")
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Fraud", approver=lead_assessor())
    for service in (
        trust_mark_suspend,
        trust_mark_request_reinstate,
        trust_mark_request_revoke,
        trust_mark_renew,
    ):
        with pytest.raises(DomainError) as exc:
            service(mark=mark, actor=personas.ada, reason="Try anyway")
        assert exc.value.status == 409
    mark.refresh_from_db()
    assert mark.status == "revoked" and mark.status_reason == "Fraud"
    assert [e.action for e in mark.events.order_by("created", "id")] == ["issued", "revoked"]


def test_expire_task_and_computed_expiry(make_mark, personas):
    from trustmarks.tasks import trust_marks_expire_task

    fresh = make_mark(company="Fresh")
    old = make_mark(company="Old", days_ago=366)
    old_suspended = make_mark(company="Old suspended", days_ago=400)
    from trustmarks.services import trust_mark_suspend

    with pytest.raises(DomainError):  # already expired on read, so it cannot be suspended
        trust_mark_suspend(mark=old_suspended, actor=personas.ada, reason="x")
    assert old.effective_status() == "expired" and old.status == "active"
    assert trust_marks_expire_task() == 2
    assert trust_marks_expire_task() == 0  # idempotent
    for m in (fresh, old, old_suspended):
        m.refresh_from_db()
    assert (fresh.status, old.status, old_suspended.status) == ("active", "expired", "expired")
    assert old.events.first().action == "expired"


def review(mark, actor, **changes):  # type: ignore[no-untyped-def]
    """A completed surveillance review confirming every score (or changing some)."""
    from trustmarks.services import trust_mark_review

    return trust_mark_review(
        mark=mark,
        actor=actor,
        evidence_valid=changes.pop("evidence_valid", True),
        scores={**mark.scores, **changes},
        notes="Controls still in place; monitoring screenshots checked.",
    )


def test_renew_starts_a_new_validity_period_with_a_new_credential(client, make_mark, personas):
    from trustmarks.services import trust_mark_renew

    mark = make_mark(days_ago=320)  # review due: 45 days left
    assert mark.review_due()
    old_expires, old_jwt = mark.expires, mark.credential_jwt
    review(mark, personas.ada)
    renewed = trust_mark_renew(mark=mark, actor=personas.ada, reason="Surveillance review passed")
    today = timezone.localdate()
    assert renewed.mark_id == mark.mark_id
    assert renewed.issued == today and renewed.last_review == today
    assert renewed.expires == old_expires.replace(year=old_expires.year + 1)
    assert renewed.next_review == renewed.expires - timedelta(days=60)
    assert not renewed.review_due()
    assert renewed.credential_jwt != old_jwt
    claims = jose_verify(
        client.get(f"/trust-marks/{mark.mark_id}/credential.jwt").content.decode(), published_jwks(client)
    )
    assert claims["validUntil"].startswith(renewed.expires.isoformat())


def test_renew_an_expired_mark_runs_a_year_from_today(make_mark, personas):
    from trustmarks.services import trust_mark_renew

    mark = make_mark(status="expired")
    review(mark, personas.ada)
    renewed = trust_mark_renew(mark=mark, actor=personas.ada, reason="Reassessed")
    today = timezone.localdate()
    assert renewed.status == "active" and renewed.expires == today.replace(year=today.year + 1)


def test_review_queue_60_days_before_expiry(make_mark):
    from trustmarks.selectors import trust_marks_review_due

    make_mark(company="New")
    due = make_mark(company="Due", days_ago=306)  # 59 days left
    not_yet = make_mark(company="Not yet", days_ago=300)
    lapsed = make_mark(company="Lapsed", days_ago=400, status="expired")  # expired 35 days ago
    make_mark(company="Long gone", days_ago=500, status="expired")
    assert [m.mark_id for m in trust_marks_review_due()] == [lapsed.mark_id, due.mark_id]
    assert not_yet.next_review == timezone.localdate() + timedelta(days=5)


# --- tamper-evident log ---------------------------------------------------------------------------


def test_every_change_appends_to_the_public_chain_and_it_verifies(client, make_mark, personas, capsys):
    from core.models import AuditEvent
    from trustmarks.services import trust_mark_reinstate, trust_mark_suspend

    mark = make_mark()
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Confidential finding about PSF-3")
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="Fixed", approver=lead_assessor())
    events = list(AuditEvent.objects.filter(chain="trustmarks").order_by("sequence"))
    assert [e.action for e in events] == [
        "trust_mark.issued",
        "trust_mark.suspended",
        "trust_mark.reinstated",
    ]
    assert "Confidential" not in json.dumps([e.data for e in events])  # only its hash is logged
    head = json.loads(client.get("/api/certify/log/head").content)
    assert head == {
        "chain": "trustmarks",
        "sequence": 3,
        "hash": events[-1].hash,
        "created": events[-1].created.isoformat(),
    }
    call_command("verify_audit_log", "--chain", "trustmarks")
    assert "trustmarks: OK, 3 events" in capsys.readouterr().out
    AuditEvent.objects.filter(pk=events[1].pk).update(data={**events[1].data, "status": "active"})
    with pytest.raises(SystemExit):
        call_command("verify_audit_log", "--chain", "trustmarks")


# --- key rotation -----------------------------------------------------------------------------------


def test_rotation_keeps_old_credentials_verifying(client, make_mark, capsys):
    old = make_mark()
    before = published_jwks(client)
    call_command("rotate_signing_key")
    out = capsys.readouterr().out
    after = published_jwks(client)
    assert len(after["keys"]) == 2
    assert after["keys"][1]["kid"] == before["keys"][0]["kid"]  # the retired key is still published
    assert after["keys"][0]["kid"] in out
    new = make_mark(company="After rotation")
    assert (
        json.loads(__import__("base64").urlsafe_b64decode(new.credential_jwt.split(".")[0] + "=="))["kid"]
        == f"{ISSUER}/.well-known/jwks.json#{after['keys'][0]['kid']}"
    )
    for mark in (old, new):
        assert jose_verify(mark.credential_jwt, after)["credentialSubject"]["name"] == mark.company_name
    # The status lists are re-signed with the new key and still decode.
    assert decode_list(client, "revocation", {"keys": [after["keys"][0]]}).purpose == "revocation"


def test_rotation_refused_for_a_ring_from_the_environment(monkeypatch, settings):
    from django.core.management.base import CommandError

    from lib.keys import generate_keyring_document

    monkeypatch.setenv("WORKFLOWOS_SIGNING_KEYS", generate_keyring_document())
    with pytest.raises(CommandError, match="WORKFLOWOS_SIGNING_KEYS"):
        call_command("rotate_signing_key")


def test_private_keys_live_in_a_file_not_the_database(make_mark, settings):
    from django.core import serializers

    from trustmarks.models import StatusListCredential, TrustMark

    make_mark()
    dump = serializers.serialize("json", [*TrustMark.objects.all(), *StatusListCredential.objects.all()])
    assert "PRIVATE KEY" not in dump
    ring_file = settings.SIGNING_KEYS_DIR / "keyring.json"
    assert ring_file.exists() and oct(ring_file.stat().st_mode & 0o777) == "0o600"


def test_fresh_status_list_verifies_on_a_slightly_slow_clock(client, make_mark, personas):
    from datetime import UTC, datetime

    from trustmarks.services import trust_mark_suspend
    from trustmarks.statuslist import verify_status_list_jwt

    mark = make_mark()
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Just now")
    token = client.get("/api/certify/status/suspension").content.decode()
    two_minutes_behind = datetime.now(UTC) - timedelta(minutes=2)
    assert verify_status_list_jwt(token, published_jwks(client), now=two_minutes_behind).get(
        mark.suspension_index
    )
