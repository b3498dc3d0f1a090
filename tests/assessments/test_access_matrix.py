"""Every assessment URL × every persona → the expected status (see tests/access.py).

Objects belong to Acme AI: ``f`` a failed assessment with a gap report, ``a`` its reassessment in
review (assigned to ada) with a file ``ev`` and an answered clarification ``q``. Another
organisation (gus) never learns they exist (404); the assessor sees only what is assigned to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessments import services
from tests.access import LOGIN, check_access
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db

ORG_PAGE = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403}
CONFIDENTIAL = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 200, "admin": 200}
REVIEW_PAGE = {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 200, "admin": 200}


def org_post(same_org: int) -> dict[str, Any]:
    return {"anonymous": LOGIN, "same_org": same_org, "other_org": 404, "assessor": 403, "admin": 403}


def review_post(status: int) -> dict[str, Any]:
    return {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": status, "admin": status}


ROWS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "GET",
        "/assessments/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    # Only an organisation admin applies; pat and gus are practitioners.
    (
        "GET",
        "/assessments/apply/",
        {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 403, "admin": 403},
    ),
    (
        "POST",
        "/assessments/apply/",
        {"anonymous": LOGIN, "same_org": 403, "other_org": 403, "assessor": 403, "admin": 403},
    ),
    ("GET", "/assessments/{a}/", ORG_PAGE),
    ("GET", "/assessments/{f}/", ORG_PAGE),
    ("GET", "/assessments/{a}/evidence/", ORG_PAGE),
    ("GET", "/assessments/{a}/evidence/add/", ORG_PAGE),
    ("POST", "/assessments/{a}/evidence/add/", org_post(400)),  # in review: the form says why
    ("GET", "/assessments/{a}/evidence/{ev}/", CONFIDENTIAL),
    ("GET", "/assessments/{a}/evidence/{ev}/download/", CONFIDENTIAL),
    ("POST", "/assessments/{a}/evidence/{ev}/remove/", org_post(302)),
    ("POST", "/assessments/{a}/scope/add/", org_post(302)),
    ("POST", "/assessments/{a}/scope/map/", org_post(302)),
    ("POST", "/assessments/{a}/submit/", org_post(403)),  # admin only
    ("POST", "/assessments/{a}/withdraw/", org_post(403)),  # admin only
    ("POST", "/assessments/{a}/clarifications/{q}/answer/", org_post(302)),
    ("POST", "/assessments/{f}/reassess/", org_post(403)),  # admin only
    ("GET", "/assessments/{a}/submissions/1/", CONFIDENTIAL),
    ("GET", "/assessments/{f}/gap-report/", CONFIDENTIAL),
    ("GET", "/assessments/{f}/gap-report.pdf", CONFIDENTIAL),
    ("GET", "/review/", REVIEW_PAGE),
    ("GET", "/review/{a}/", REVIEW_PAGE),
    ("GET", "/review/{f}/", REVIEW_PAGE),
    ("GET", "/review/{a}/scope/", REVIEW_PAGE),
    ("GET", "/review/{a}/decide/", REVIEW_PAGE),
    ("POST", "/review/{a}/accept/", review_post(302)),  # refused (not an application): message + redirect
    ("POST", "/review/{a}/scope/", review_post(400)),
    ("POST", "/review/{a}/claim/", review_post(302)),
    ("POST", "/review/{a}/assign/", review_post(302)),
    ("POST", "/review/{a}/scores/", review_post(302)),
    ("POST", "/review/{a}/clarify/", review_post(302)),
    ("POST", "/review/{a}/decide/", review_post(400)),
    (
        "GET",
        "/api/assessments/",
        {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    (
        "GET",
        "/api/assessments/{a}/",
        {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 200, "admin": 200},
    ),
    (
        "GET",
        "/api/review-queue/",
        {"anonymous": 401, "same_org": 403, "other_org": 403, "assessor": 200, "admin": 200},
    ),
]


@pytest.fixture
def acme_assessments(personas) -> dict[str, Any]:
    p = personas
    f = h.in_review(p)
    h.score_all(f, p.ada, h.failing_scores())
    services.assessment_decide(assessment=f, actor=p.ada, outcome="fail")
    a = services.assessment_reassessment_open(assessment=f, actor=p.alice)
    services.assessment_submit(assessment=a, actor=p.alice)
    services.assessment_claim(assessment=a, actor=p.ada)
    q = services.assessment_clarification_request(
        assessment=a, actor=p.ada, questions="Which model version is live?"
    )
    services.clarification_answer(clarification=q, actor=p.pat, answer="gpt-4o-2024-08-06")
    services.assessment_submit(assessment=a, actor=p.alice)
    ev = a.evidence.get(kind="file")
    return {"a": a.pk, "f": f.pk, "ev": ev.pk, "q": q.pk}


def test_every_url_is_in_the_matrix():
    import re

    from django.urls import get_resolver

    ours = {
        str(outer.pattern) + str(inner.pattern)
        for outer in get_resolver().url_patterns
        if getattr(outer, "urlconf_name", None) is not None
        and getattr(outer.urlconf_module, "__name__", "").startswith("assessments")
        for inner in outer.url_patterns
    }
    assert len(ours) == 29  # 26 pages + 3 API endpoints
    covered = {re.sub(r"\{[af]\}", "{x}", url).lstrip("/") for _, url, _ in ROWS}
    for pattern in ours:
        template = (
            re.sub(r"<int:assessment_id>", "{x}", pattern)
            .replace("<int:item_id>", "{ev}")
            .replace("<int:clarification_id>", "{q}")
            .replace("<int:number>", "1")
        )
        assert template in covered, f"{pattern} has no row in the access matrix"


READS = [row for row in ROWS if row[0] == "GET"]
WRITES = [row for row in ROWS if row[0] != "GET"]


def test_access_matrix_reads(personas, acme_assessments, client_for: Callable[..., Any]):
    """Every GET row against one set of objects (reads change nothing)."""
    failures = []
    for method, url, expected in READS:
        failures += check_access(client_for, personas, method, url, expected, acme_assessments)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("method,url,expected", WRITES, ids=[f"{m} {u}" for m, u, _ in WRITES])
def test_access_matrix_writes(
    method: str,
    url: str,
    expected: dict[str, Any],
    personas,
    acme_assessments,
    client_for: Callable[..., Any],
):
    assert not check_access(client_for, personas, method, url, expected, acme_assessments)
