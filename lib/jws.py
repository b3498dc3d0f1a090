"""Compact JWS with EdDSA (Ed25519), signed by the instance's ``KeyRing``.

Signing composes the JWS by hand (RFC 7515 §7.1) because the private key stays inside the ring,
which only hands out signatures. Verification goes through PyJWT with the key named by the
header's ``kid`` in a published JWKS; only ``alg: EdDSA`` is accepted (never ``none``).
A detached JWS (RFC 7515 Appendix F) has an empty payload segment; the verifier supplies it.

A ``kid`` is either the key's RFC 7638 thumbprint (as in the published JWKS) or, for VC-JWTs
(Open Badges 3.0 requires a dereferenceable URI), ``https://ISSUER/.well-known/jwks.json#<thumbprint>``:
the key set's URL with the thumbprint as fragment. Verification accepts both forms.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt

from lib import safejson
from lib.errors import DomainError
from lib.keys import b64url_decode, b64url_encode, find_jwk, public_key_from_jwk

if TYPE_CHECKING:
    from lib.keys import KeyRing

MAX_TOKEN_BYTES = 1024 * 1024


class JwsError(ValueError):
    """A JWS that does not verify; ``code`` is machine-readable, the message one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class VerifiedJws:
    header: dict[str, Any]
    payload: bytes
    kid: str  # the key's thumbprint (its ``kid`` in the JWKS), whichever form the header used


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


JWKS_PATH = "/.well-known/jwks.json"


def jwks_url(issuer: str) -> str:
    """Where an issuer (an http(s) URL) publishes its keys: ``<origin>/.well-known/jwks.json``."""
    parts = urllib.parse.urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"the issuer {issuer!r} is not a web address")
    return f"{parts.scheme}://{parts.netloc}{JWKS_PATH}"


def split_kid(kid: str) -> tuple[str | None, str]:
    """``(key set URL or None, thumbprint)`` of a ``kid``, bare or ``<jwks URL>#<thumbprint>``."""
    if "#" in kid:
        url, _, thumbprint = kid.rpartition("#")
        return url, thumbprint
    return None, kid


def sign_compact(
    payload: bytes,
    ring: KeyRing,
    *,
    headers: Mapping[str, Any] | None = None,
    detached: bool = False,
    kid_url: str | None = None,
) -> str:
    """A compact JWS over ``payload`` with the ring's active key (``alg`` EdDSA, ``kid`` set).

    ``detached=True`` leaves the payload segment empty (``header..signature``). With ``kid_url``
    (the JWKS URL) the header's ``kid`` is ``<kid_url>#<thumbprint>``, else the bare thumbprint.
    """
    for attempt in range(3):
        kid = ring.active().kid
        header = {**(headers or {}), "alg": "EdDSA", "kid": f"{kid_url}#{kid}" if kid_url else kid}
        signing_input = b64url_encode(_json_bytes(header)) + "." + b64url_encode(payload)
        try:
            _, signature = ring.sign(signing_input.encode("ascii"), kid=kid)
        except DomainError as exc:
            if exc.code == "key_rotated" and attempt < 2:
                continue
            raise
        head, body = signing_input.split(".")
        return f"{head}.{'' if detached else body}.{b64url_encode(signature)}"
    raise AssertionError("unreachable")  # pragma: no cover


def unverified_header(token: str) -> dict[str, Any]:
    """The decoded protected header of a compact JWS, without checking anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("malformed", "not a compact JWS (expected three dot-separated parts)")
    try:
        header = safejson.loads(b64url_decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwsError("malformed", "the JWS header is not base64url JSON") from exc
    if not isinstance(header, dict):
        raise JwsError("malformed", "the JWS header is not a JSON object")
    return header


def verify_compact(
    token: str, jwks: Mapping[str, Any], *, detached_payload: bytes | None = None
) -> VerifiedJws:
    """Verify a compact JWS with the key its ``kid`` names in ``jwks``; raise ``JwsError`` if not.

    Codes: ``malformed``, ``unsupported_alg``, ``unknown_key``, ``bad_key``, ``bad_signature``.
    """
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise JwsError("malformed", "token too large")
    header = unverified_header(token)
    if "alg" not in header:
        raise JwsError("malformed", "the JWS header has no algorithm")
    if header["alg"] != "EdDSA":
        raise JwsError("unsupported_alg", f"algorithm {header.get('alg')!r} is not accepted (EdDSA only)")
    if header.get("crit"):
        raise JwsError("malformed", "critical header parameters are not supported")
    header_kid = header.get("kid")
    if not isinstance(header_kid, str) or not header_kid:
        raise JwsError("malformed", "the JWS header names no key (kid)")
    _, kid = split_kid(header_kid)
    if not kid:
        raise JwsError("malformed", "the JWS header names no key (kid)")
    jwk = find_jwk(jwks, kid)
    if jwk is None:
        raise JwsError("unknown_key", f"key {kid} is not in the issuer's key set")
    try:
        public_key = public_key_from_jwk(jwk)
    except ValueError as exc:
        raise JwsError("bad_key", f"key {kid} in the key set is unusable: {exc}") from exc
    if detached_payload is not None:
        head, body, sig = token.split(".")
        if body:
            raise JwsError("malformed", "a detached JWS must have an empty payload segment")
        token = f"{head}.{b64url_encode(detached_payload)}.{sig}"
    try:
        decoded = jwt.api_jws.PyJWS().decode_complete(token, key=public_key, algorithms=["EdDSA"])
    except jwt.InvalidSignatureError as exc:
        raise JwsError("bad_signature", "the signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise JwsError("malformed", f"malformed JWS: {exc}") from exc
    return VerifiedJws(header=header, payload=decoded["payload"], kid=kid)


# --- VC-JWT envelope (W3C VC-JOSE-COSE): the payload *is* the credential -------------------------

VC_JWT_TYP = "vc+jwt"


def parse_vc_time(value: Any, what: str) -> datetime:
    """A VC ``validFrom``/``validUntil`` (xsd:dateTimeStamp) as an aware datetime; ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{what} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return parsed


def format_vc_time(value: datetime) -> str:
    """An aware datetime as a VC date-time in UTC with second precision (``2026-12-31T23:59:59Z``)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id, whether ``issuer`` is a URL string or a profile object."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def sign_vc_jwt(credential: Mapping[str, Any], ring: KeyRing, *, issued_at: datetime | None = None) -> str:
    """Sign a credential as a VC-JWT: header ``{"alg":"EdDSA","kid":…,"typ":"vc+jwt"}``.

    ``kid`` is ``<issuer origin>/.well-known/jwks.json#<thumbprint>`` (a URI a verifier can
    dereference, as Open Badges 3.0 requires). The payload is the credential itself plus the
    registered claims ``iss``, ``sub``, ``nbf`` (validFrom), ``exp`` (validUntil) and ``iat``,
    consistent with it. These five are defined terms of the VC 2.0 JSON-LD context, so the payload
    stays a valid JSON-LD document; ``jti`` is not (the credential's ``id`` already names it), so
    it is left out (older tokens carry it; verification ignores it).
    """
    claims: dict[str, Any] = dict(credential)
    iss = issuer_id(credential)
    if iss is None:
        raise ValueError("the credential has no issuer id")
    claims["iss"] = iss
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        claims["sub"] = subject["id"]
    claims["nbf"] = int(parse_vc_time(credential.get("validFrom"), "validFrom").timestamp())
    if "validUntil" in credential:
        claims["exp"] = int(parse_vc_time(credential["validUntil"], "validUntil").timestamp())
    claims["iat"] = int((issued_at or datetime.now(UTC)).timestamp())
    return sign_compact(_json_bytes(claims), ring, headers={"typ": VC_JWT_TYP}, kid_url=jwks_url(iss))


@dataclass(frozen=True)
class VerifiedVc:
    credential: dict[str, Any]
    header: dict[str, Any]
    kid: str


def verify_vc_jwt(token: str, jwks: Mapping[str, Any]) -> VerifiedVc:
    """Verify a VC-JWT's signature and envelope; dates and status are the caller's to check.

    Raises ``JwsError`` (codes of ``verify_compact``, and ``malformed`` for a payload that is not a
    credential or registered claims that contradict it).
    """
    verified = verify_compact(token, jwks)
    if verified.header.get("typ") not in (VC_JWT_TYP, "JWT", None):
        raise JwsError("malformed", f"unexpected token type {verified.header.get('typ')!r}")
    try:
        payload = safejson.loads(verified.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwsError("malformed", "the payload is not JSON") from exc
    types = payload.get("type") if isinstance(payload, dict) else None
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise JwsError("malformed", "the payload is not a verifiable credential")
    if "iss" in payload and payload["iss"] != issuer_id(payload):
        raise JwsError("malformed", "the iss claim contradicts the credential's issuer")
    key_set, _ = split_kid(str(verified.header["kid"]))
    if key_set is not None and key_set != _jwks_url_or_none(issuer_id(payload)):
        raise JwsError("malformed", "the kid names a key set other than the issuer's")
    for claim, field in (("nbf", "validFrom"), ("exp", "validUntil")):
        if claim in payload and field in payload and _claim_time(payload, claim, field) is False:
            raise JwsError("malformed", f"the {claim} claim contradicts {field}")
    return VerifiedVc(credential=payload, header=verified.header, kid=verified.kid)


def _jwks_url_or_none(issuer: str | None) -> str | None:
    try:
        return jwks_url(issuer) if issuer else None
    except ValueError:
        return None


def _claim_time(payload: Mapping[str, Any], claim: str, field: str) -> bool:
    try:
        return int(payload[claim]) == int(parse_vc_time(payload[field], field).timestamp())
    except (TypeError, ValueError):
        return False
