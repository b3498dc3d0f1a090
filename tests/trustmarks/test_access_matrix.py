"""Every trust-mark URL × every persona → the expected status code (see tests/access.py).

The verification API, the record, badges, credential, keys, status lists, log head and the
transparency log are public by design; the lifecycle pages belong to platform assessors (and the
platform admin, who counts as a lead assessor). The mark is ada's (she decided its assessment); a
revocation ada asked for waits for a second assessor: ada may not approve it (403), the platform
admin may."""

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
ALL_ASSESSORS_REFUSED = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 403, "admin": 403}
FOUR_EYES = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 403, "admin": 302}
NOT_FOUND = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 404, "admin": 404}
REASON = {"reason": "Access-matrix check"}
REVIEW = {
    "evidence_valid": "yes",
    "notes": "Controls still in place.",
    **{f"score_PSF-{n}": "3.5" for n in range(1, 9)},
}

ROWS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("GET", "/api/certify/trust-mark/verify?id={tm}", PUBLIC, None),
    ("GET", "/api/certify/trust-mark/verify?id=TM-99999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/api/certify/trust-mark/verify", dict.fromkeys(PERSONAS, 400), None),
    ("POST", "/api/certify/trust-mark/verify?id={tm}", dict.fromkeys(PERSONAS, 405), None),
    ("GET", "/api/certify/status/message", PUBLIC, None),
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
    # No surveillance review yet: renewal is refused with the reason, even to the lead.
    ("POST", "/trust-marks/{tm}/renew/", ALL_ASSESSORS_REFUSED, REASON),
    # A second request while ada's is pending goes back to the page with a message (409).
    ("POST", "/trust-marks/{tm}/revoke/", ASSESSOR_POST, REASON),
    ("GET", "/trust-marks/{tm}/review/", ASSESSORS, None),
    ("POST", "/trust-marks/{tm}/review/", ASSESSOR_POST, REVIEW),
    ("POST", "/trust-marks/{tm}/requests/{req}/approve/", FOUR_EYES, {}),
    # ada withdraws her own request; the admin then finds it decided (message, 302).
    ("POST", "/trust-marks/{tm}/requests/{req}/reject/", ASSESSOR_POST, {}),
    ("POST", "/trust-marks/{tm}/requests/999999/approve/", NOT_FOUND, {}),
    ("POST", "/trust-marks/{tm}/requests/{req}/ignore/", NOT_FOUND, {}),
    (
        "GET",
        "/trust-marks/{tm}/requests/{req}/approve/",
        {"anonymous": 405, "same_org": 405, "other_org": 405, "assessor": 405, "admin": 405},
        None,
    ),
    # The Django admin shows marks read-only to the platform admin.
    ("GET", "/admin/trustmarks/trustmark/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/trustmark/{tm_pk}/change/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/statuslistcredential/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/lifecyclerequest/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/lifecyclerequest/{req}/change/", ADMIN_ONLY, None),
    ("GET", "/admin/trustmarks/surveillancereview/", ADMIN_ONLY, None),
    ("GET", "/admin/accounts/pastmembership/", ADMIN_ONLY, None),
]


@pytest.fixture
def tm_objects(personas, rubric_version) -> dict[str, Any]:
    from tests.trustmarks.helpers import issue_mark
    from trustmarks.services import trust_mark_request_revoke

    mark = issue_mark(personas, rubric_version)
    request = trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="Matrix: asked by ada")
    return {"tm": mark.mark_id, "tm_pk": mark.pk, "req": request.pk}


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
    from trustmarks.models import LifecycleRequest, SurveillanceReview, TrustMark

    tm, req = tm_objects["tm"], tm_objects["req"]
    for user in (None, personas.pat, personas.alice, personas.gus, personas.mia, personas.ada):
        c = client_for(user)
        c.post(f"/trust-marks/{tm}/revoke/", REASON)
        c.post(f"/trust-marks/{tm}/requests/{req}/approve/")
        if user is not personas.ada:
            c.post(f"/trust-marks/{tm}/requests/{req}/reject/")
            c.post(f"/trust-marks/{tm}/review/", REVIEW)
        c.post(f"/trust-marks/{tm}/renew/", REASON)
    assert TrustMark.objects.get().status == "active"
    assert LifecycleRequest.objects.get().state == "pending"
    assert not SurveillanceReview.objects.exists()


@pytest.mark.parametrize("who", ["alice", "mia"])
def test_organisation_people_never_reach_the_lifecycle_pages(who, personas, tm_objects, client_for):
    """An organisation admin (alice) and an adviser in several organisations (mia) are members,
    not assessors: every lifecycle page and action answers 403."""
    c = client_for(getattr(personas, who))
    tm, req = tm_objects["tm"], tm_objects["req"]
    assert c.get(f"/trust-marks/{tm}/").status_code == 403
    assert c.get(f"/trust-marks/{tm}/review/").status_code == 403
    assert c.post(f"/trust-marks/{tm}/review/", REVIEW).status_code == 403
    for action in ("suspend", "reinstate", "revoke", "renew"):
        assert c.post(f"/trust-marks/{tm}/{action}/", REASON).status_code == 403
    for decision in ("approve", "reject"):
        assert c.post(f"/trust-marks/{tm}/requests/{req}/{decision}/").status_code == 403


def test_every_trust_mark_url_is_in_the_matrix():
    import re

    from django.urls import get_resolver

    ours = [
        str(outer.pattern) + str(inner.pattern)
        for outer in get_resolver().url_patterns
        if getattr(outer, "urlconf_name", None) is not None
        and getattr(outer.urlconf_module, "__name__", "").startswith("trustmarks")
        for inner in outer.url_patterns
    ]
    assert len(ours) >= 15
    rows = [url.format(tm="TM-00142", tm_pk=1, req=1).split("?")[0].lstrip("/") for _, url, _, _ in ROWS]
    for pattern in ours:
        regex = re.sub(r"<int:\w+>", r"\\d+", re.sub(r"<str:\w+>", r"[^/]+", pattern.lstrip("^").rstrip("$")))
        assert any(re.fullmatch(regex, url) for url in rows), f"{pattern} has no row in the access matrix"
