"""The client workspace's URLs × persona → the expected status.

Personas as in tests/access.py plus alice (org_admin: Acme AI's admin) and mia (adviser: a member
of Acme AI and Globex). Branding is for an organisation's admin or adviser (accounts.access.
can_brand): a practitioner of one organisation gets 403; someone with no membership of the named
organisation gets 404 (existence not revealed); the assessor and the platform admin belong to no
organisation.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.access import LOGIN

pytestmark = pytest.mark.django_db

BRAND_EDIT_ACTIVE = {
    "anonymous": LOGIN,
    "same_org": 403,
    "other_org": 403,
    "assessor": 403,
    "admin": 403,
    "org_admin": 200,
    "adviser": 200,
}
BRAND_EDIT_ACME = {**BRAND_EDIT_ACTIVE, "other_org": 404, "assessor": 404, "admin": 404}


def _posted(expected: dict[str, Any]) -> dict[str, Any]:
    return {k: 302 if v == 200 else v for k, v in expected.items()}


ROWS: list[tuple[str, str, dict[str, str] | None, dict[str, Any]]] = [
    (
        "GET",
        "/clients/",
        None,
        {
            "anonymous": LOGIN,
            "same_org": 200,
            "other_org": 200,
            "assessor": 403,
            "admin": 403,
            "org_admin": 200,
            "adviser": 200,
        },
    ),
    ("GET", "/organisation/branding/", None, BRAND_EDIT_ACTIVE),
    (
        "POST",
        "/organisation/branding/",
        {"brand_name": "Matrix", "brand_colour": "#1d4ed8"},
        _posted(BRAND_EDIT_ACTIVE),
    ),
    ("GET", "/clients/acme-ai/branding/", None, BRAND_EDIT_ACME),
    ("POST", "/clients/acme-ai/branding/", {"brand_name": "Matrix"}, _posted(BRAND_EDIT_ACME)),
    (
        "GET",
        "/clients/no-such-org/branding/",
        None,
        {
            "anonymous": LOGIN,
            **dict.fromkeys(["same_org", "other_org", "assessor", "admin", "org_admin", "adviser"], 404),
        },
    ),
]
ORDER = ["anonymous", "other_org", "assessor", "admin", "same_org", "org_admin", "adviser"]


@pytest.mark.parametrize("method,url,data,expected", ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(method, url, data, expected, personas):
    users = {
        "anonymous": None,
        "same_org": personas.pat,
        "other_org": personas.gus,
        "assessor": personas.ada,
        "admin": personas.root,
        "org_admin": personas.alice,
        "adviser": personas.mia,
    }
    failures = []
    for persona in ORDER:
        c = Client()
        if users[persona] is not None:
            c.force_login(users[persona])
        resp = c.post(url, data) if method == "POST" else c.get(url)
        want = expected[persona]
        ok = (
            resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
            if want == LOGIN
            else resp.status_code == want
        )
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    assert not failures, f"{method} {url}: " + "; ".join(failures)
