"""Trust marks as Open Badges 3.0 credentials (W3C VC 2.0 shape) signed as VC-JWTs with Ed25519.

``build_credential`` makes the ``OpenBadgeCredential`` of a mark, ``sign_credential`` signs it
with the instance's key ring (header ``{"alg":"EdDSA","kid":"https://ISSUER/.well-known/jwks.json#<thumbprint>","typ":"vc+jwt"}``,
payload = the credential plus ``iss``/``sub``/``nbf``/``exp``/``iat``, all terms of the VC 2.0
context), and ``verify_credential_jwt`` checks a token against a published JWKS: signature
(retired keys still verify; bare-thumbprint ``kid`` of older tokens too), validity window and,
given a ``status_fetcher``, the mark's status in the signed status list(s).

The credential validates against 1EdTech's Open Badges 3.0 ``AchievementCredential`` JSON schema
and the W3C VC 2.0 schema, and expands as JSON-LD in safe mode with the official contexts
(shipped in ``trustmarks/contexts/``; see ``trustmarks/jsonld.py``).

Where the mark's facts live in the credential:

* organisation: ``credentialSubject.name`` (and an ``IdentityObject`` of type ``name``);
* trust-mark number and public record: ``evidence[0]`` (``id`` = record URL, ``name`` = ``TM-00142``);
* per-domain scores: ``credentialSubject.result`` against ``achievement.resultDescription``;
* status: ``credentialStatus``, one ``BitstringStatusListEntry`` with ``statusPurpose: message``
  and ``statusSize: 2`` in the issuer's message list (``0x0`` active, ``0x1`` suspended, ``0x2``
  revoked, spelled out in its ``statusMessage``; see ``trustmarks.statuslist``). Credentials
  issued before carry two one-bit entries (``revocation``, ``suspension``); both still verify.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lib import safejson
from lib.jws import (
    JwsError,
    format_vc_time,
    issuer_id,
    parse_vc_time,
    sign_vc_jwt,
    unverified_header,
    verify_vc_jwt,
)
from lib.keys import b64url_decode
from trustmarks import statuslist
from trustmarks.statuslist import StatusList, StatusListError, verify_status_list_jwt

if TYPE_CHECKING:
    from lib.keys import KeyRing

OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MEDIA_TYPE = "application/vc+jwt"

StatusFetcher = Callable[[str], str]


@dataclass(frozen=True)
class StatusRef:
    """Where a mark's bit lives: the status-list credential URL and the index in it."""

    url: str
    index: int


def build_credential(
    *,
    mark_id: str,
    issuer_id: str,
    issuer_name: str,
    subject_name: str,
    subject_id: str,
    achievement_name: str = "PSF v1.1 Production Safe",
    psf_version: str = "v1.1",
    domains: str = "PSF-1..8",
    scores: Mapping[str, float | int | str],
    valid_from: datetime,
    valid_until: datetime,
    record_url: str,
    status: StatusRef,
    achievement_id: str | None = None,
    credential_id: str | None = None,
    issuer_url: str | None = None,
) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` of one trust mark for one validity period.

    ``issuer_id`` is the issuer's URL (its origin serves ``/.well-known/jwks.json``),
    ``subject_id`` the organisation's URL or URN, ``scores`` maps ``PSF-1`` … to a domain score.
    ``status`` names the message status list's URL and the mark's (random) index in it. Pass the last second of the expiry day as ``valid_until``
    (``2026-12-31T23:59:59Z``) so verifiers report the same expiry date as the API.
    ``credential_id`` defaults to a ``urn:uuid`` derived from issuer, mark and ``valid_from``, so
    re-signing the same mark and period gives the same id.
    """
    if valid_until <= valid_from:
        raise ValueError("valid_until must be after valid_from")
    base = issuer_id.rstrip("/")
    achievement_id = achievement_id or f"{base}/achievements/psf-v1.1-production-safe"
    credential_id = credential_id or (
        "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}|{mark_id}|{format_vc_time(valid_from)}"))
    )
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": achievement_name,
        "description": (
            f"{achievement_name}, {domains}: the AI workflows in scope passed a Deployment Safety "
            f"Assessment against the Production Safety Framework (PSF) {psf_version}."
        ),
        "criteria": {
            "narrative": (
                f"An independent assessor scored the organisation's evidence for every criterion of "
                f"{domains} under the PSF {psf_version} rubric, and the rubric's pass rule was met. "
                "The mark stays valid while annual surveillance reviews pass."
            )
        },
        "tag": [domains],
        "resultDescription": [
            {
                "id": f"{achievement_id}#{domain}",
                "type": ["ResultDescription"],
                "name": f"{domain} domain score",
                "resultType": "RubricScore",
            }
            for domain in scores
        ],
    }
    issuer: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": issuer_name}
    if issuer_url:
        issuer["url"] = issuer_url
    return {
        "@context": [VC_V2_CONTEXT, OB3_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{achievement_name} — {subject_name}",
        "issuer": issuer,
        "validFrom": format_vc_time(valid_from),
        "validUntil": format_vc_time(valid_until),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "name": subject_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": subject_name,
                }
            ],
            "achievement": achievement,
            "result": [
                {"type": ["Result"], "resultDescription": f"{achievement_id}#{domain}", "value": str(score)}
                for domain, score in scores.items()
            ],
        },
        "evidence": [
            {
                "id": record_url,
                "type": ["Evidence"],
                "name": mark_id,
                "description": f"Public verification record of trust mark {mark_id}",
            }
        ],
        "credentialStatus": status_entry(status),
    }


def status_entry(ref: StatusRef) -> dict[str, Any]:
    """The one ``credentialStatus`` of a mark: a two-bit entry in the issuer's message list."""
    return {
        "id": f"{ref.url}#{ref.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(ref.index),
        "statusListCredential": ref.url,
        "statusSize": statuslist.MESSAGE_STATUS_SIZE,
        "statusMessage": statuslist.status_message_entries(),
    }


def sign_credential(
    credential: Mapping[str, Any], ring: KeyRing, *, issued_at: datetime | None = None
) -> str:
    """The credential as a compact VC-JWT (EdDSA; ``kid`` = the issuer's JWKS URL + ``#`` + the
    thumbprint of the ring's active key)."""
    return sign_vc_jwt(credential, ring, issued_at=issued_at)


def is_outdated(token: str) -> bool:
    """True for a credential signed before Open Badges 3.0 conformance (bare-thumbprint ``kid``,
    a ``jti`` claim, or more than one ``credentialStatus`` entry), or one that cannot be read;
    ``resign_credentials`` re-signs those. Nothing is verified here."""
    try:
        header = unverified_header(token)
        payload = safejson.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError, UnicodeDecodeError, JwsError):
        return True
    if not isinstance(payload, dict):
        return True
    status = payload.get("credentialStatus")
    return (
        "#" not in str(header.get("kid", ""))
        or "jti" in payload
        or not isinstance(status, dict)
        or status.get("statusPurpose") != "message"
    )


@dataclass(frozen=True)
class VerificationResult:
    """The verdict on a credential. ``reason`` is one line; ``code`` is for machines:

    ``ok``, ``malformed``, ``unsupported_alg``, ``unknown_key``, ``bad_key``, ``bad_signature``,
    ``not_a_trust_mark``, ``not_yet_valid``, ``expired``, ``revoked``, ``suspended``,
    ``status_unavailable``. ``credential`` is set once the signature has verified.
    """

    ok: bool
    reason: str
    credential: dict[str, Any] | None = None
    code: str = "ok"
    kid: str | None = None
    status_checked: bool = False


@dataclass(frozen=True)
class CredentialSummary:
    mark_id: str
    company: str
    valid_until: date | None


def summarize(credential: Mapping[str, Any]) -> CredentialSummary:
    """Mark number, organisation and last valid day of a (verified) trust-mark credential."""
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    evidence = credential.get("evidence")
    mark_id = ""
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], dict):
        mark_id = str(evidence[0].get("name", ""))
    until: date | None = None
    try:
        until = parse_vc_time(credential.get("validUntil"), "validUntil").astimezone(UTC).date()
    except ValueError:
        until = None
    return CredentialSummary(mark_id=mark_id, company=str(subject.get("name", "")), valid_until=until)


def verify_credential_jwt(
    token: str,
    jwks: Mapping[str, Any],
    *,
    now: datetime | None = None,
    status_fetcher: StatusFetcher | None = None,
) -> VerificationResult:
    """Verify a trust-mark VC-JWT with the issuer's JWKS, offline unless ``status_fetcher`` is given.

    Checks, in order: the signature with the key named by ``kid``; that it is an
    ``OpenBadgeCredential``; ``validFrom``/``validUntil`` against ``now``; then, when
    ``status_fetcher(url) -> status-list VC-JWT`` is given, each ``BitstringStatusListEntry``
    (the list must be signed by a key of the same JWKS and come from the same issuer).
    """
    now = now or datetime.now(UTC)
    try:
        verified = verify_vc_jwt(token, jwks)
    except JwsError as exc:
        return VerificationResult(False, str(exc), code=exc.code)
    cred = verified.credential

    def fail(code: str, reason: str) -> VerificationResult:
        return VerificationResult(False, reason, cred, code=code, kid=verified.kid)

    if "OpenBadgeCredential" not in cred.get("type", []) or not isinstance(
        cred.get("credentialSubject"), dict
    ):
        return fail("not_a_trust_mark", "not an OpenBadgeCredential")
    try:
        valid_from = parse_vc_time(cred.get("validFrom"), "validFrom")
        valid_until = parse_vc_time(cred.get("validUntil"), "validUntil")
    except ValueError as exc:
        return fail("malformed", str(exc))
    if now < valid_from:
        return fail("not_yet_valid", f"not valid before {format_vc_time(valid_from)}")
    if now > valid_until:
        return fail("expired", f"expired on {format_vc_time(valid_until)}")

    if status_fetcher is None:
        return VerificationResult(True, "valid", cred, code="ok", kid=verified.kid)

    entries = cred.get("credentialStatus", [])
    entries = [entries] if isinstance(entries, dict) else entries
    if not isinstance(entries, list):
        return fail("malformed", "credentialStatus is not an object or a list")
    lists: dict[str, StatusList] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            continue
        purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
        try:
            index = int(str(entry.get("statusListIndex")))
            size = int(entry.get("statusSize", 1))
            if not 1 <= size <= 8:
                raise StatusListError(f"statusSize {size} is not 1 to 8")
            if not isinstance(url, str):
                raise StatusListError("status entry without statusListCredential")
            if url not in lists:
                lists[url] = verify_status_list_jwt(status_fetcher(url), jwks, now=now)
            status_list = lists[url]
            if purpose not in status_list.purposes:
                raise StatusListError(f"{url} is a {status_list.purpose} list, not {purpose}")
            if status_list.issuer != issuer_id(cred):
                raise StatusListError(f"{url} was issued by someone else")
            value = status_list.value(index, size)
        except (ValueError, TypeError, IndexError, OSError) as exc:
            return fail("status_unavailable", f"could not check status: {exc}")
        if value and purpose == "revocation":
            return fail("revoked", "revoked")
        if value and purpose == "suspension":
            return fail("suspended", "suspended")
        if purpose == "message" and value:
            message = _status_message(entry, value)
            if message in ("revoked", "suspended"):
                return fail(message, message)
            return fail("status_unavailable", f"status {hex(value)} ({message or 'no message'})")
    return VerificationResult(True, "valid", cred, code="ok", kid=verified.kid, status_checked=True)


def _status_message(entry: Mapping[str, Any], value: int) -> str:
    """The ``message`` that the (signed) entry's ``statusMessage`` gives for ``value``, or ``""``."""
    messages = entry.get("statusMessage")
    for item in messages if isinstance(messages, list) else []:
        if isinstance(item, dict) and str(item.get("status", "")).lower() == hex(value):
            return str(item.get("message", ""))
    return ""
