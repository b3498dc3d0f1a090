"""Shared builders for the crypto tests: a credential, its token, the issuer's status lists.

``make_token`` signs a current credential (one two-bit ``message`` status entry, ``kid`` a JWKS
URL, no ``jti``); ``make_token(legacy=True)`` reproduces a credential issued before Open Badges
3.0 conformance (two one-bit entries, bare-thumbprint ``kid``, ``jti``), which must keep verifying.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.jws import sign_compact
from lib.keys import KeyRing
from trustmarks import statuslist
from trustmarks.credentials import StatusRef, build_credential, sign_credential

ISSUER = "https://certify.example.org"
MESSAGE_URL = f"{ISSUER}/api/certify/status/message"
REVOCATION_URL = f"{ISSUER}/api/certify/status/revocation"
SUSPENSION_URL = f"{ISSUER}/api/certify/status/suspension"
HOSTILE = '<script>alert(1)</script> & "Co"'


def make_credential(
    *,
    mark_id: str = "TM-00142",
    company: str = "Acme AI",
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    status_index: int = 1000,
    legacy: bool = False,
    revocation_index: int = 1000,
    suspension_index: int = 2000,
    issuer: str = ISSUER,
) -> dict:
    """A credential; ``legacy=True`` gives the old two-entry ``credentialStatus`` (with
    ``revocation_index``/``suspension_index``), else one entry at ``status_index``."""
    valid_from = valid_from or datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    valid_until = valid_until or valid_from + timedelta(days=365)
    cred = build_credential(
        mark_id=mark_id,
        issuer_id=issuer,
        issuer_name="PAI Certification",
        issuer_url=issuer,
        subject_name=company,
        subject_id=f"{issuer}/organisations/acme",
        scores={f"PSF-{n}": 4.0 + n / 10 for n in range(1, 9)},
        valid_from=valid_from,
        valid_until=valid_until,
        record_url=f"{issuer}/verify/{mark_id}",
        status=StatusRef(f"{issuer}/api/certify/status/message", status_index),
    )
    if legacy:
        cred["credentialStatus"] = [
            _legacy_entry("revocation", f"{issuer}/api/certify/status/revocation", revocation_index),
            _legacy_entry("suspension", f"{issuer}/api/certify/status/suspension", suspension_index),
        ]
    return cred


def _legacy_entry(purpose: str, url: str, index: int) -> dict[str, str]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def legacy_sign(credential: dict[str, Any], ring: KeyRing, *, issued_at: datetime | None = None) -> str:
    """A VC-JWT exactly as issued before: bare-thumbprint ``kid`` and a ``jti`` claim."""
    claims = dict(credential)
    claims["iss"] = (
        credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"]
    )
    claims["jti"] = credential["id"]
    if isinstance(credential["credentialSubject"], dict) and "id" in credential["credentialSubject"]:
        claims["sub"] = credential["credentialSubject"]["id"]
    claims["nbf"] = int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    claims["iat"] = int((issued_at or datetime.now(UTC)).timestamp())
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return sign_compact(payload, ring, headers={"typ": "vc+jwt"})


def make_token(ring: KeyRing, *, legacy: bool = False, **kwargs) -> str:
    credential = make_credential(legacy=legacy, **kwargs)
    return legacy_sign(credential, ring) if legacy else sign_credential(credential, ring)


def status_list_tokens(
    ring: KeyRing,
    *,
    revoked: set[int] = frozenset(),
    suspended: set[int] = frozenset(),
    issuer: str = ISSUER,
    legacy: bool = False,
) -> dict[str, str]:
    """The issuer's signed status lists, keyed by URL, as the issuer would serve them.

    ``revoked``/``suspended`` are indexes: bits in the one-bit lists, values ``0x2``/``0x1`` in the
    message list. ``legacy=True`` signs them the old way (bare ``kid``, ``jti``).
    """
    out = {}
    for purpose in statuslist.PURPOSES:
        url = f"{issuer}/api/certify/status/{purpose}"
        size = statuslist.status_size(purpose)
        bits = statuslist.new_list(size=size)
        for status, indexes in (("suspended", suspended), ("revoked", revoked)):
            for index in indexes:
                statuslist.set_value(bits, index, statuslist.mark_status_value(purpose, status), size)
        credential = statuslist.build_status_list_credential(
            url=url,
            purpose=purpose,
            encoded_list=statuslist.encode(bits),
            issuer_id=issuer,
            valid_from=datetime.now(UTC) - timedelta(hours=1),
        )
        sign = legacy_sign if legacy else statuslist.sign_status_list_credential
        out[url] = sign(credential, ring)
    return out
