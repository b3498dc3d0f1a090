"""Every URL of the foundation and the studio × every persona → the expected status code.

Each later feature has its own matrix file (tests/<app>/test_access_matrix.py) built on
tests/access.py; object URLs are built from Acme AI objects, so "another organisation" always
means Globex's gus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access import LOGIN, PERSONAS, check_access

pytestmark = pytest.mark.django_db

# (method, url template, {persona: expected}); url templates may use {name} keys from acme_objects.
ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/roll-out/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/advise/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/PSF-1/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/PSF-8/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/cite/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/psf/knowledge-check/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/oscal/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/psf/versions/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/pai8/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/pai8/C1/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/pai8/C8/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/pai8/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/pai8/oscal/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/schema/", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/docs/", dict.fromkeys(PERSONAS, 200)),
    (
        "GET",
        "/accounts/sign-in/",
        {"anonymous": 200, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 302},
    ),
    (
        "GET",
        "/dashboard/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200},
    ),
    ("GET", "/api/me/", {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200}),
    ("GET", "/admin/", {"anonymous": 302, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 200}),
    # Studio: members of the owning organisation only; others get 404 (existence not revealed).
    # The assessor and the platform admin belong to no organisation: 403.
    (
        "GET",
        "/studio/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    (
        "GET",
        "/studio/new/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    (
        "GET",
        "/studio/import/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    *[
        (
            "GET",
            f"/studio/{{wf}}/{sub}",
            {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403},
        )
        for sub in ("", "steps/", "steps/llm/", "history/", "diff/", "export/?format=json")
    ],
    *[
        (
            "POST",
            f"/studio/{{wf}}/{sub}",
            {"anonymous": LOGIN, "same_org": 302, "other_org": 404, "assessor": 403, "admin": 403},
        )
        for sub in ("steps/add/", "edges/add/", "facts/", "versions/1/restore/")
    ],
    (
        "GET",
        "/api/workflows/",
        {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    *[
        (
            "GET",
            f"/api/workflows/{{wf}}/{sub}",
            {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403},
        )
        for sub in ("", "versions/", "versions/1/", "export/?format=mermaid")
    ],
    (
        "DELETE",
        "/api/workflows/{wf}/",
        {"anonymous": 401, "same_org": 204, "other_org": 404, "assessor": 403, "admin": 403},
    ),
    ("GET", "/api/schemas/workflow-v1.json", dict.fromkeys(PERSONAS, 200)),
    ("GET", "/api/node-types/", dict.fromkeys(PERSONAS, 200)),
]


@pytest.fixture
def acme_objects(personas) -> dict[str, Any]:
    """Objects owned by Acme AI that the rows refer to."""
    from tests.matrix_objects import build_acme_objects

    return build_acme_objects(personas)


@pytest.mark.parametrize("method,url,expected", ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS])
def test_access_matrix(
    method: str, url: str, expected: dict[str, Any], personas, acme_objects, client_for: Callable[..., Any]
):
    assert not check_access(client_for, personas, method, url, expected, acme_objects)
