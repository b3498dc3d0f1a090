"""Shared builders for the crypto tests: a credential, its token, the issuer's status lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lib.keys import KeyRing
from trustmarks import statuslist
from trustmarks.credentials import StatusRef, build_credential, sign_credential

ISSUER = "https://certify.example.org"
REVOCATION_URL = f"{ISSUER}/api/certify/status/revocation"
SUSPENSION_URL = f"{ISSUER}/api/certify/status/suspension"
HOSTILE = '<script>alert(1)</script> & "Co"'


def make_credential(
    *,
    mark_id: str = "TM-00142",
    company: str = "Acme AI",
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    revocation_index: int = 1000,
    suspension_index: int = 2000,
    issuer: str = ISSUER,
) -> dict:
    valid_from = valid_from or datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    valid_until = valid_until or valid_from + timedelta(days=365)
    return build_credential(
        mark_id=mark_id,
        issuer_id=issuer,
        issuer_name="PAI Certification",
        subject_name=company,
        subject_id=f"{issuer}/organisations/acme",
        scores={f"PSF-{n}": 4.0 + n / 10 for n in range(1, 9)},
        valid_from=valid_from,
        valid_until=valid_until,
        record_url=f"{issuer}/verify/{mark_id}",
        revocation=StatusRef(f"{issuer}/api/certify/status/revocation", revocation_index),
        suspension=StatusRef(f"{issuer}/api/certify/status/suspension", suspension_index),
    )


def make_token(ring: KeyRing, **kwargs) -> str:
    return sign_credential(make_credential(**kwargs), ring)


def status_list_tokens(
    ring: KeyRing, *, revoked: set[int] = frozenset(), suspended: set[int] = frozenset(), issuer: str = ISSUER
) -> dict[str, str]:
    """Both signed status lists, keyed by URL, as the issuer would serve them."""
    out = {}
    for purpose, flagged in (("revocation", revoked), ("suspension", suspended)):
        url = f"{issuer}/api/certify/status/{purpose}"
        bits = statuslist.new_list()
        for index in flagged:
            statuslist.set_bit(bits, index, True)
        credential = statuslist.build_status_list_credential(
            url=url,
            purpose=purpose,
            encoded_list=statuslist.encode(bits),
            issuer_id=issuer,
            valid_from=datetime.now(UTC) - timedelta(hours=1),
        )
        out[url] = statuslist.sign_status_list_credential(credential, ring)
    return out
