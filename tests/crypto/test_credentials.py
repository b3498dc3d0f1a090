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

from .helpers import (
    ISSUER,
    MESSAGE_URL,
    REVOCATION_URL,
    SUSPENSION_URL,
    make_credential,
    make_token,
    status_list_tokens,
)

JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


def jose_decode(token: str, jwks: dict):
    """Verify with joserfc (independent of PyJWT and of our code), from the published JWKS only.

    The ``kid`` is ``<JWKS URL>#<thumbprint>`` (or, in older tokens, the bare thumbprint): the
    fragment is the ``kid`` of the key in the set, as the README tells third-party verifiers.
    """
    key_set = KeySet.import_key_set(json.loads(json.dumps(jwks)))

    def resolve(obj):
        return key_set.get_by_kid(obj.headers()["kid"].rpartition("#")[2])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864)
        return jose_jwt.decode(token, resolve, algorithms=["EdDSA"])


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
    assert cred["credentialStatus"] == {
        "id": f"{MESSAGE_URL}#1000",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "1000",
        "statusListCredential": MESSAGE_URL,
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "active"},
            {"status": "0x1", "message": "suspended"},
            {"status": "0x2", "message": "revoked"},
            {"status": "0x3", "message": "invalid"},
        ],
    }
    assert summarize(cred).mark_id == "TM-00142"


def test_vc_jwt_header_and_claims(ring: KeyRing):
    cred = make_credential()
    header, payload, _ = parts(make_token(ring))

    # Open Badges 3.0: the kid is a URI that dereferences to the key (the JWKS, fragment = thumbprint).
    assert header == {"alg": "EdDSA", "kid": f"{JWKS_URL}#{ring.active().kid}", "typ": "vc+jwt"}
    # No jti: it is not a term of the VC 2.0 context (the credential's id names the token).
    assert payload["iss"] == ISSUER and "jti" not in payload
    assert payload["nbf"] == int(datetime.fromisoformat(cred["validFrom"]).timestamp())
    assert payload["exp"] == int(datetime.fromisoformat(cred["validUntil"]).timestamp())
    assert {k: v for k, v in payload.items() if k not in {"iss", "sub", "nbf", "exp", "iat"}} == cred


def test_an_independent_library_verifies_our_token_with_the_published_jwks_only(ring: KeyRing):
    token = make_token(ring)
    published = json.loads(json.dumps(ring.jwks()))  # what /.well-known/jwks.json serves

    decoded = jose_decode(token, published)

    assert decoded.header["kid"] == f"{JWKS_URL}#{ring.active().kid}"
    assert decoded.claims["credentialSubject"]["name"] == "Acme AI"


def test_credentials_signed_before_rotation_still_verify(ring: KeyRing):
    old_token = make_token(ring)
    legacy_token = make_token(ring, legacy=True)  # bare-thumbprint kid, as issued before
    ring.rotate()
    new_token = make_token(ring)

    assert parts(old_token)[0]["kid"] != parts(new_token)[0]["kid"]
    assert parts(legacy_token)[0]["kid"] == parts(old_token)[0]["kid"].split("#")[1]
    for token in (old_token, legacy_token, new_token):
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


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
def test_status_aware_verification(ring: KeyRing, legacy: bool):
    token = make_token(ring, legacy=legacy, status_index=1000, revocation_index=1000, suspension_index=2000)
    r, s = (1000, 2000) if legacy else (1000, 1000)

    clean = verify_credential_jwt(token, ring.jwks(), status_fetcher=status_list_tokens(ring).__getitem__)
    assert clean.ok and clean.status_checked

    revoked = verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, revoked={r}).__getitem__
    )
    assert (revoked.ok, revoked.code, revoked.reason) == (False, "revoked", "revoked")

    suspended = status_list_tokens(ring, suspended={s})
    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=suspended.__getitem__)
    assert (result.ok, result.code) == (False, "suspended")

    # Other marks' entries do not matter (the entry is the mark's own, not its neighbour's).
    others = status_list_tokens(ring, revoked={r - 1, r + 1}, suspended={s - 1, s + 1})
    assert verify_credential_jwt(token, ring.jwks(), status_fetcher=others.__getitem__).ok


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
def test_reinstating_a_suspended_mark_makes_it_valid_again(ring: KeyRing, legacy: bool):
    token = make_token(ring, legacy=legacy, status_index=77, suspension_index=77)
    assert not verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, suspended={77}).get
    ).ok
    assert verify_credential_jwt(
        token, ring.jwks(), status_fetcher=status_list_tokens(ring, suspended=set()).get
    ).ok


def test_the_two_bit_entry_reads_only_the_marks_own_two_bits(ring: KeyRing):
    """Neighbours at index ± 1 share bytes with the mark's entry; their values never leak into it."""
    token = make_token(ring, status_index=4)  # bits 8 and 9: the first two bits of byte 1
    for flags in ({"revoked": {3, 5}}, {"suspended": {3, 5}}, {"revoked": {3}, "suspended": {5}}):
        lists = status_list_tokens(ring, **flags)
        assert verify_credential_jwt(token, ring.jwks(), status_fetcher=lists.__getitem__).ok, flags


def test_a_status_value_without_a_meaning_is_not_reported_valid(ring: KeyRing):
    from trustmarks import statuslist

    bits = statuslist.new_list(size=2)
    statuslist.set_value(bits, 1000, statuslist.INVALID, 2)
    credential = statuslist.build_status_list_credential(
        url=MESSAGE_URL,
        purpose="message",
        encoded_list=statuslist.encode(bits),
        issuer_id=ISSUER,
        valid_from=datetime.now(UTC) - timedelta(hours=1),
    )
    lists = {MESSAGE_URL: statuslist.sign_status_list_credential(credential, ring)}
    result = verify_credential_jwt(make_token(ring), ring.jwks(), status_fetcher=lists.__getitem__)
    assert (result.ok, result.code, result.reason) == (False, "status_unavailable", "status 0x3 (invalid)")


def test_a_kid_naming_another_issuers_key_set_is_rejected(ring: KeyRing):
    header, payload, _ = parts(make_token(ring))
    header["kid"] = f"https://attacker.example/.well-known/jwks.json#{ring.active().kid}"
    from lib.jws import sign_compact

    token = sign_compact(
        json.dumps(payload).encode(),
        ring,
        headers={"typ": "vc+jwt"},
        kid_url="https://attacker.example/.well-known/jwks.json",
    )
    result = verify_credential_jwt(token, ring.jwks())
    assert (result.ok, result.code) == (False, "malformed")
    assert "key set" in result.reason


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

    # A list of another purpose served where the mark's list should be does not count either.
    lists = status_list_tokens(ring)
    swapped = {MESSAGE_URL: lists[REVOCATION_URL]}
    result = verify_credential_jwt(token, ring.jwks(), status_fetcher=swapped.__getitem__)
    assert (result.ok, result.code) == (False, "status_unavailable")
    legacy = make_token(ring, legacy=True)
    swapped = {REVOCATION_URL: lists[SUSPENSION_URL], SUSPENSION_URL: lists[REVOCATION_URL]}
    result = verify_credential_jwt(legacy, ring.jwks(), status_fetcher=swapped.__getitem__)
    assert (result.ok, result.code) == (False, "status_unavailable")
