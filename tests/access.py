"""The access-matrix machinery shared by every feature's matrix test.

Personas: anonymous, practitioner of the same organisation (pat, Acme AI), practitioner of another
organisation (gus, Globex), platform assessor (ada), platform admin (root).
Expected values: an int status, or LOGIN for a redirect to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PERSONAS = ["anonymous", "same_org", "other_org", "assessor", "admin"]
LOGIN = "login"
# Least to most privileged, so a destructive success (DELETE 204) comes after every refusal
# was checked against the intact object.
ORDER = ["anonymous", "other_org", "assessor", "admin", "same_org"]


def persona_users(personas: Any) -> dict[str, Any]:
    return {
        "anonymous": None,
        "same_org": personas.pat,
        "other_org": personas.gus,
        "assessor": personas.ada,
        "admin": personas.root,
        # Used by matrices that tell an organisation's roles apart (msp, governance).
        "org_admin": personas.alice,
        "adviser": personas.mia,
    }


def check_access(
    client_for: Callable[[Any], Any],
    personas: Any,
    method: str,
    url: str,
    expected: dict[str, Any],
    objects: dict[str, Any],
    data: Any = None,
) -> list[str]:
    """Request ``url`` as every persona; return the mismatches (empty when all is as expected)."""
    users = persona_users(personas)
    target = url.format(**objects)
    failures = []
    for persona in ORDER:
        if persona not in expected:
            continue
        c = client_for(users[persona])
        resp = (
            c.post(target, data or {}) if method == "POST" and data is not None else c.generic(method, target)
        )
        want = expected[persona]
        if want == LOGIN:
            ok = resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
        else:
            ok = resp.status_code == want
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    return [f"{method} {target}: " + "; ".join(failures)] if failures else []
