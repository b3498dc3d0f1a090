"""Credential reads: the registry's lookups (exact id, exact listed name), the verify answer,
a person's credentials and attempts."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from trustmarks.signing import public_url

from .models import PersonalCredential

CREDENTIAL_ID_RE = re.compile(r"(AIDA)-([0-9]{4})-([0-9]{4,7})", re.ASCII | re.IGNORECASE)
STATUS_WORDS = {
    PersonalCredential.ACTIVE: "Active — valid",
    PersonalCredential.SUSPENDED: "Suspended — not valid",
    PersonalCredential.REVOKED: "Revoked — not valid",
    PersonalCredential.EXPIRED: "Expired — not valid",
}
CREDENTIAL_NAMES = {"AIDA": "AIDA — AI Deployment Awareness"}


def parse_credential_id(text: str) -> tuple[str, int, int] | None:
    """``("AIDA", 2026, 1)`` for a well-formed id in any letter case, else ``None``."""
    match = CREDENTIAL_ID_RE.fullmatch((text or "").strip())
    if not match:
        return None
    return match.group(1).upper(), int(match.group(2)), int(match.group(3))


def credential_get(*, credential_id: str) -> PersonalCredential | None:
    """The credential with exactly this id (one indexed query), or ``None``."""
    parsed = parse_credential_id(credential_id)
    if parsed is None:
        return None
    kind, year, number = parsed
    return PersonalCredential.objects.filter(kind=kind, year=year, number=number).first()


def registry_search(*, query: str) -> list[PersonalCredential]:
    """Exact matches only: one credential by its full id (listed or not: the id is what the
    holder hands out), or the listed holders whose shown name equals ``query`` (case-insensitive).
    Never a partial match, so the registry cannot be walked."""
    text = " ".join((query or "").split())
    if not text:
        return []
    if parse_credential_id(text) is not None:
        found = credential_get(credential_id=text)
        return [found] if found is not None else []
    return list(
        PersonalCredential.objects.filter(listed=True, holder_name__iexact=text).order_by("-year", "-number")[
            :50
        ]
    )


def credentials_of(*, user: Any) -> list[PersonalCredential]:
    return list(PersonalCredential.objects.filter(user=user).order_by("-issued", "-number"))


def credential_urls(credential: PersonalCredential) -> dict[str, str]:
    cid = credential.credential_id
    return {
        "record_url": public_url(reverse("credentials:registry_record", args=[cid])),
        "credential_url": public_url(reverse("credentials:credential_jwt", args=[cid])),
        "certificate_url": public_url(reverse("credentials:certificate", args=[cid])),
        "verify_url": public_url(reverse("credentials_api:verify") + f"?id={cid}"),
    }


def verify_answer(*, credential: PersonalCredential, today: date | None = None) -> dict[str, Any]:
    """The public verify answer, shaped like the trust-mark one (``valid`` first)."""
    status = credential.effective_status(today or timezone.localdate())
    urls = credential_urls(credential)
    return {
        "valid": status == PersonalCredential.ACTIVE,
        "holder": credential.holder_name,
        "credential": CREDENTIAL_NAMES.get(credential.kind, credential.kind),
        "expires": credential.expires.isoformat(),
        "id": credential.credential_id,
        "status": status,
        "issued": credential.issued.isoformat(),
        "psf_version": "1.1",
        "record_url": urls["record_url"],
        "credential_url": urls["credential_url"],
    }


def linkedin_url(credential: PersonalCredential, *, organisation: str) -> str:
    """LinkedIn's "add to profile" link, pre-filled with the certification."""
    from urllib.parse import urlencode

    urls = credential_urls(credential)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": CREDENTIAL_NAMES.get(credential.kind, credential.kind),
        "organizationName": organisation,
        "issueYear": credential.issued.year,
        "issueMonth": credential.issued.month,
        "expirationYear": credential.expires.year,
        "expirationMonth": credential.expires.month,
        "certId": credential.credential_id,
        "certUrl": urls["record_url"],
    }
    return "https://www.linkedin.com/profile/add?" + urlencode(params)
