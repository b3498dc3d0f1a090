"""Every URL × every persona → the expected status code.

Personas: anonymous, practitioner of the same organisation (pat, Acme AI), practitioner of another
organisation (gus, Globex), platform assessor (ada), platform admin (root).
Expected values: an int status, or "login" for a redirect to the sign-in page.
Later features add their rows to ROWS (object URLs are built from the Acme objects the
``acme_objects`` fixture creates, so "another organisation" always means Globex's gus).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "same_org", "other_org", "assessor", "admin"]
LOGIN = "login"

# (method, url template, {persona: expected}); url templates may use {name} keys from acme_objects.
ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/roll-out/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/advise/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/PSF-1/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/PSF-8/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/cite/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/oscal/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/versions/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/schema/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/docs/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/accounts/sign-in/", {"anonymous": 200, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 302}),
    ("GET", "/dashboard/", {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200}),
    ("GET", "/api/me/", {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200}),
    ("GET", "/admin/", {"anonymous": 302, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 200}),
    # Studio: members of the owning organisation only; others get 404 (existence not revealed).
    # The assessor and the platform admin belong to no organisation: 403.
    ("GET", "/studio/", {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403}),
    ("GET", "/studio/new/", {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403}),
    ("GET", "/studio/import/", {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403}),
    *[
        ("GET", f"/studio/{{wf}}/{sub}", {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403})
        for sub in ("", "steps/", "steps/llm/", "history/", "diff/", "export/?format=json")
    ],
    *[
        ("POST", f"/studio/{{wf}}/{sub}", {"anonymous": LOGIN, "same_org": 302, "other_org": 404, "assessor": 403, "admin": 403})
        for sub in ("steps/add/", "edges/add/", "facts/", "versions/1/restore/")
    ],
    ("GET", "/api/workflows/", {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403}),
    *[
        ("GET", f"/api/workflows/{{wf}}/{sub}", {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403})
        for sub in ("", "versions/", "versions/1/", "export/?format=mermaid")
    ],
    ("DELETE", "/api/workflows/{wf}/", {"anonymous": 401, "same_org": 204, "other_org": 404, "assessor": 403, "admin": 403}),
    ("GET", "/api/schemas/workflow-v1.json", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/node-types/", dict.fromkeys(PERSONAS, 200)),
]


@pytest.fixture
def acme_objects(personas) -> dict[str, Any]:
    """Objects owned by Acme AI that other rows refer to (filled in by later features)."""
    from tests.matrix_objects import build_acme_objects

    return build_acme_objects(personas)


def _persona_users(personas) -> dict[str, Any]:
    return {"anonymous": None, "same_org": personas.pat, "other_org": personas.gus, "assessor": personas.ada, "admin": personas.root}


@pytest.mark.parametrize("method,url,expected", ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS])
def test_access_matrix(method: str, url: str, expected: dict[str, Any], personas, acme_objects, client_for: Callable[..., Any]):
    users = _persona_users(personas)
    target = url.format(**acme_objects)
    failures = []
    # Personas run from least to most privileged, so a destructive success (DELETE 204) comes
    # after every refusal was checked against the intact object.
    for persona in ["anonymous", "other_org", "assessor", "admin", "same_org"]:
        c = client_for(users[persona])
        resp = c.generic(method, target)
        want = expected[persona]
        if want == LOGIN:
            ok = resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
        else:
            ok = resp.status_code == want
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    assert not failures, f"{method} {target}: " + "; ".join(failures)
