from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from lib.keys import KeyRing, b64url_decode, b64url_encode
from trustmarks.credentials import OB3_CONTEXT, summarize, verify_credential_jwt

from .helpers import ISSUER, REVOCATION_URL, SUSPENSION_URL, make_credential, make_token, status_list_tokens


def jose_decode(token: str, jwks: dict):
    """Verify with joserfc (independent of PyJWT and of our code), from the published JWKS only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864)
        return jose_jwt.decode(
            token, KeySet.import_key_set(json.loads(json.dumps(jwks))), algorithms=["EdDSA"]
        )


def parts(token: str) -> tuple[dict, dict, str]:
    head, body, sig = token.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body)), sig


def test_credential_has_the_open_badges_3_shape():
    cred = make_credential(
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    )

    assert cred["@context"] == ["https://www.w3.org/ns/credentials/v2", OB3_CONTEXT]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["issuer"]["id"] == ISSUER
    assert (cred["validFrom"], cred["validUntil"]) == ("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z")
    subject = cred["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["name"] == "Acme AI"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["name"] == "PSF v1.1 Production Safe"
    assert achievement["criteria"]["narrative"] and "PSF-1..8" in achievement["description"]
    assert [r["value"] for r in subject["result"]][:2] == ["4.1", "4.2"]
    assert cred["credentialStatus"] == [
        {
            "id": f"{REVOCATION_URL}#1000",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1000",
            "statusListCredential": REVOCATION_URL,
        },
        {
            "id": f"{SUSPENSION_URL}#2000",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "2000",
            "statusListCredential": SUSPENSION_URL,
        },
    ]
    assert summarize(cred).mark_id == "TM-00142"


def test_vc_jwt_header_and_claims(ring: KeyRing):
    cred = make_credential()
    header, payload, _ = parts(make_token(ring))

    assert header == {"alg": "EdDSA", "kid": ring.active().kid, "typ": "vc+jwt"}
    assert payload["iss"] == ISSUER and payload["jti"] == cred["id"]
    assert payload["nbf"] == int(datetime.fromisoformat(cred["validFrom"]).timestamp())
    assert payload["exp"] == int(datetime.fromisoformat(cred["validUntil"]).timestamp())
    assert {k: v for k, v in payload.items() if k not in {"iss", "jti", "sub", "nbf", "exp", "iat"}} == cred


def test_an_independent_library_verifies_our_token_with_the_published_jwks_only(ring: KeyRing):
    token = make_token(ring)
    published = json.loads(json.dumps(ring.jwks()))  # what /.well-known/jwks.json serves

    decoded = jose_decode(token, published)

    assert decoded.header["kid"] == ring.active().kid
    assert decoded.claims["credentialSubject"]["name"] == "Acme AI"


def test_credentials_signed_before_rotation_still_verify(ring: KeyRing):
    old_token = make_token(ring)
    ring.rotate()
    new_token = make_token(ring)

    assert parts(old_token)[0]["kid"] != parts(new_token)[0]["kid"]
    for token in (old_token, new_token):
        assert verify_credential_jwt(token, ring.jwks()).ok
        assert jose_decode(token, ring.jwks()).claims["iss"] == ISSUER


def test_valid_token_verifies(ring: KeyRing):
    result = verify_credential_jwt(make_token(ring), ring.jwks())
    assert (result.ok, result.code, result.reason) == (True, "ok", "valid")
    assert result.kid == ring.active().kid
    assert not result.status_checked


def test_a_tampered_token_is_rejected_by_us_and_by_the_independent_library(ring: KeyRing):
    header, payload, sig = parts(make_token(ring))
    payload["credentialSubject"]["name"] = "Evil Corp"
    forged = ".".join(
        [b64url_encode(json.dumps(header).encode()), b64url_encode(json.dumps(payload).encode()), sig]
    )

    result = verify_credential_jwt(forged, ring.jwks())

    assert (result.ok, result.code) == (False, "bad_signature")
    assert result.credential is None
    with pytest.raises(BadSignatureError):
        jose_decode(forged, ring.jwks())


def test_expired_and_not_yet_valid_are_rejected(ring: KeyRing):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    token = make_token(ring, valid_from=start, valid_until=start + timedelta(days=365))

    assert verify_credential_jwt(token, ring.jwks(), now=start + timedelta(days=100)).ok
    late = verify_credential_jwt(token, ring.jwks(), now=start + timedelta(days=366))
    assert (late.ok, late.code, late.reason) == (False, "expired", "expired on 2027-01-01T00:00:00Z")
    early = verify_credential_jwt(token, ring.jwks(), now=start - timedelta(seconds=1))
    assert (early.ok, early.code) == (False, "not_yet_valid")


def test_unknown_kid_is_rejected(ring: KeyRing, tmp_path: Path):
    token = make_token(ring)
    result = verify_credential_jwt(token, KeyRing(tmp_path / "someone-else").jwks())
    assert (result.ok, result.code) == (False, "unknown_key")
    assert ring.active().kid in result.reason


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_other_algorithms_are_rejected(ring: KeyRing, alg: str):
    header, payload, sig = parts(make_token(ring))
    header["alg"] = alg
    token = ".".join(
        [
            b64url_encode(json.dumps(header).encode()),
            b64url_encode(json.dumps(payload).encode()),
            "" if alg == "none" else sig,
        ]
    )
    result = verify_credential_jwt(token, ring.jwks())
    assert (result.ok, result.code) == (False, "unsupported_alg")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "e30.e30.", "....."])
def test_garbage_is_rejected_as_malformed(ring: KeyRing, token: str):
    result = verify_credential_jwt(token, ring.jwks())
    assert not result.ok and result.code == "malformed"


def test_status_aware_verification(ring: KeyRing):
    token = make_token(ring, revocation_index=1000, suspension_index=2000)

    clean = verify_credential_jwt(token, ring.jwks(), status_fetcher=status_list_tokens(ring).__getitem__)
    assert clean.ok and clean.status_checked

    revoked = verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, revoked={1000}).__getitem__
    )
    assert (revoked.ok, revoked.code, revoked.reason) == (False, "revoked", "revoked")

    suspended = status_list_tokens(ring, suspended={2000})
    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=suspended.__getitem__)
    assert (result.ok, result.code) == (False, "suspended")

    # Other marks' bits do not matter (the bit is the mark's own, not its neighbour's).
    others = status_list_tokens(ring, revoked={999, 1001}, suspended={1999, 2001})
    assert verify_credential_jwt(token, ring.jwks(), status_fetcher=others.__getitem__).ok


def test_reinstating_a_suspended_mark_makes_it_valid_again(ring: KeyRing):
    token = make_token(ring, suspension_index=77)
    assert not verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, suspended={77}).get
    ).ok
    assert verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, suspended=set()).get
    ).ok


def test_status_that_cannot_be_checked_is_not_reported_valid(ring: KeyRing, tmp_path: Path):
    token = make_token(ring)

    def unreachable(url: str) -> str:
        raise OSError("connection refused")

    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=unreachable)
    assert (result.ok, result.code) == (False, "status_unavailable")

    # A status list signed by a key that is not the issuer's does not count.
    forged = status_list_tokens(KeyRing(tmp_path / "attacker"))
    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=forged.__getitem__)
    assert (result.ok, result.code) == (False, "status_unavailable")

    # A revocation list served where the suspension list should be does not count either.
    lists = status_list_tokens(ring)
    swapped = {REVOCATION_URL: lists[SUSPENSION_URL], SUSPENSION_URL: lists[REVOCATION_URL]}
    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=swapped.__getitem__)
    assert (result.ok, result.code) == (False, "status_unavailable")
