"""A personal credential as an Open Badges 3.0 ``AchievementCredential`` (VC 2.0 shape), signed
as a VC-JWT with the instance's key ring by the trust marks' machinery, with one
``credentialStatus`` entry in the same two-bit message status list as trust marks.

Where the facts live: the holder's chosen name in ``credentialSubject.name`` (and an
``IdentityObject`` of type ``name``); the credential id (``AIDA-2026-0001``) and its public
registry page in ``evidence[0]``; the exam score in ``credentialSubject.result``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lib.jws import format_vc_time
from trustmarks.credentials import OB3_CONTEXT, VC_V2_CONTEXT, StatusRef, status_entry

ACHIEVEMENTS = {
    "AIDA": {
        "slug": "aida",
        "name": "AIDA — AI Deployment Awareness (PSF v1.1)",
        "description": (
            "The holder passed the AIDA exam: scenario-based questions over the eight domains of the "
            "Production Safety Framework (PSF) v1.1, weighted toward Input Governance and Output "
            "Validation. A registry-verifiable baseline for practitioners."
        ),
        "criteria": (
            "Answer at least {pass_mark} of {total} questions drawn from a versioned bank covering "
            "PSF-1 to PSF-8, with options shuffled per attempt. Valid for {years} years."
        ),
    }
}


def build_personal_credential(
    *,
    kind: str,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    issuer_url: str | None,
    holder_name: str,
    subject_id: str,
    score: int,
    total: int,
    pass_mark: int,
    validity_years: int,
    valid_from: datetime,
    valid_until: datetime,
    record_url: str,
    status: StatusRef,
) -> dict[str, Any]:
    """The unsigned ``AchievementCredential`` of one personal credential."""
    if valid_until <= valid_from:
        raise ValueError("valid_until must be after valid_from")
    facts = ACHIEVEMENTS[kind]
    base = issuer_id.rstrip("/")
    achievement_id = f"{base}/achievements/{facts['slug']}"
    issuer: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": issuer_name}
    if issuer_url:
        issuer["url"] = issuer_url
    return {
        "@context": [VC_V2_CONTEXT, OB3_CONTEXT],
        "id": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}|{credential_id}")),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{facts['name']} — {holder_name}",
        "issuer": issuer,
        "validFrom": format_vc_time(valid_from),
        "validUntil": format_vc_time(valid_until),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "name": holder_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": holder_name,
                }
            ],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": facts["name"],
                "description": facts["description"],
                "criteria": {
                    "narrative": facts["criteria"].format(
                        pass_mark=pass_mark, total=total, years=validity_years
                    )
                },
                "tag": ["PSF-1..8"],
                "resultDescription": [
                    {
                        "id": f"{achievement_id}#score",
                        "type": ["ResultDescription"],
                        "name": "Exam score",
                        "resultType": "RawScore",
                    }
                ],
            },
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": f"{achievement_id}#score",
                    "value": f"{score}/{total}",
                }
            ],
        },
        "evidence": [
            {
                "id": record_url,
                "type": ["Evidence"],
                "name": credential_id,
                "description": f"Public registry record of credential {credential_id}",
            }
        ],
        "credentialStatus": status_entry(status),
    }
