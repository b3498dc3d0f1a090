"""Every trust-mark URL × every persona → the expected status code (see tests/access.py).

The verification API, the record, badges, credential, keys, status lists, log head and transparency log are public
by design; the lifecycle pages belong to platform assessors (and the platform admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access import LOGIN, PERSONAS, check_access

pytestmark = pytest.mark.django_db

PUBLIC = dict.fromkeys(PERSONAS, 200)
ASSESSORS = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 200, "admin": 200}
ASSESSOR_POST = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 302, "admin": 302}
ADMIN_ONLY = {"anonymous": 302, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 200}
REASON = {"reason": "Access-matrix check"}

ROWS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("GET", "/api/certify/trust-mark/verify?id={tm}", PUBLIC, None),
    ("GET", "/api/certify/trust-mark/verify?id=TM-99999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/api/certify/trust-mark/verify", dict.fromkeys(PERSONAS, 400), None),
    ("POST", "/api/certify/trust-mark/verify?id={tm}", dict.fromkeys(PERSONAS, 405), None),
    ("GET", "/api/certify/status/revocation", PUBLIC, None),
    ("GET", "/api/certify/status/suspension", PUBLIC, None),
    ("GET", "/api/certify/log/head", PUBLIC, None),
    ("GET", "/api/certify/log/checkpoint", PUBLIC, None),
    ("GET", "/api/certify/log/entries?start=0", PUBLIC, None),
    ("GET", "/api/certify/log/entries", dict.fromkeys(PERSONAS, 400), None),
    ("GET", "/api/certify/log/proof/inclusion?id={tm}", PUBLIC, None),
    ("GET", "/api/certify/log/proof/inclusion?index=0", PUBLIC, None),
    ("GET", "/api/certify/log/proof/inclusion?id=TM-99999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/api/certify/log/proof/consistency?first=0", PUBLIC, None),
    ("POST", "/api/certify/log/checkpoint", dict.fromkeys(PERSONAS, 405), None),
    ("GET", "/.well-known/tlog-key", PUBLIC, None),
    ("GET", "/.well-known/jwks.json", PUBLIC, None),
    ("GET", "/verify/{tm}", PUBLIC, None),
    ("GET", "/verify/TM-99999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/trust-marks/{tm}/badge.svg", PUBLIC, None),
    ("GET", "/trust-marks/{tm}/badge.png", PUBLIC, None),
    ("GET", "/trust-marks/{tm}/badge.pdf", PUBLIC, None),
    ("GET", "/trust-marks/{tm}/credential.jwt", PUBLIC, None),
    ("GET", "/trust-marks/", ASSESSORS, None),
    ("GET", "/trust-marks/{tm}/", ASSESSORS, None),
    (
        "GET",
        "/trust-marks/{tm}/suspend/",
        {"anonymous": 405, "same_org": 405, "other_org": 405, "assessor": 405, "admin": 405},
        None,
    ),
    ("POST", "/trust-marks/{tm}/suspend/", ASSESSOR_POST, REASON),
    ("POST", "/trust-marks/{tm}/reinstate/", ASSESSOR_POST, REASON),
    ("POST", "/trust-marks/{tm}/renew/", ASSESSOR_POST, REASON),
    ("POST", "/trust-marks/{tm}/revoke/", ASSESSOR_POST, REASON),
    # The Django admin shows marks read-only to the platform admin.
    ("GET", "/admin/trustmarks/trustmark/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/trustmark/{tm_pk}/change/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/statuslistcredential/", ADMIN_ONLY, None),
]


@pytest.fixture
def tm_objects(personas, rubric_version) -> dict[str, Any]:
    from tests.trustmarks.helpers import issue_mark

    mark = issue_mark(personas, rubric_version)
    return {"tm": mark.mark_id, "tm_pk": mark.pk}


@pytest.mark.parametrize("method,url,expected,data", ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(
    method: str,
    url: str,
    expected: dict[str, Any],
    data: Any,
    personas,
    tm_objects,
    client_for: Callable[..., Any],
):
    assert not check_access(client_for, personas, method, url, expected, tm_objects, data)


def test_refused_personas_change_nothing(personas, tm_objects, client_for):
    from trustmarks.models import TrustMark

    for user in (None, personas.pat, personas.alice, personas.gus):
        client_for(user).post(f"/trust-marks/{tm_objects['tm']}/revoke/", REASON)
    assert TrustMark.objects.get().status == "active"
