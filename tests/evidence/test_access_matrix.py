"""Every evidence URL × every persona → the expected status (see tests/access.py)."""

from __future__ import annotations

from typing import Any

import pytest

from evidence.models import ExportJob
from tests.access import LOGIN, check_access
from tests.evidence.helpers import fake_done, head, make_submission, make_workflow

pytestmark = pytest.mark.django_db

MEMBERS_ONLY_PAGE = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 404, "admin": 404}
MEMBERS_ONLY_API = {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 404, "admin": 404}
# The assessor (ada) is assigned to the submission: she may see its pack; root is not assigned.
SUBMISSION_PAGE = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 200, "admin": 404}
SUBMISSION_API = {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 200, "admin": 404}

ROWS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "GET",
        "/evidence/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    (
        "GET",
        "/evidence/workflows/{wf}/",
        {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403},
    ),
    ("GET", "/evidence/{job}/", MEMBERS_ONLY_PAGE),
    ("GET", "/evidence/{job}/evidence-pack.pdf", MEMBERS_ONLY_PAGE),
    ("GET", "/evidence/{job}/evidence-bundle.zip", MEMBERS_ONLY_PAGE),
    ("GET", "/evidence/submissions/{sub}/", SUBMISSION_PAGE),
    ("GET", "/evidence/{subjob}/", SUBMISSION_PAGE),
    ("GET", "/evidence/{subjob}/evidence-pack.pdf", SUBMISSION_PAGE),
    ("GET", "/evidence/{subjob}/evidence-bundle.zip", SUBMISSION_PAGE),
    (
        "GET",
        "/api/exports/",
        {"anonymous": 401, "same_org": 200, "other_org": 200, "assessor": 403, "admin": 403},
    ),
    (
        "GET",
        "/api/workflows/{wf}/exports/",
        {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403},
    ),
    ("GET", "/api/exports/{job}/", MEMBERS_ONLY_API),
    ("GET", "/api/exports/{job}/evidence-pack.pdf", MEMBERS_ONLY_API),
    ("GET", "/api/exports/{job}/evidence-bundle.zip", MEMBERS_ONLY_API),
    ("GET", "/api/exports/{subjob}/", SUBMISSION_API),
    ("GET", "/api/exports/{subjob}/evidence-bundle.zip", SUBMISSION_API),
]

POST_ROWS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "POST",
        "/evidence/workflows/{wf}/",
        {"anonymous": LOGIN, "other_org": 404, "assessor": 403, "admin": 403, "same_org": 302},
    ),
    (
        "POST",
        "/evidence/submissions/{sub}/",
        {"anonymous": LOGIN, "other_org": 404, "admin": 404, "assessor": 302, "same_org": 302},
    ),
    (
        "POST",
        "/api/workflows/{wf}/exports/",
        {"anonymous": 401, "other_org": 404, "assessor": 403, "admin": 403, "same_org": 202},
    ),
    # Cancel and retry: whoever may see the export (members; the assigned assessor of a
    # submission pack); everyone else as for seeing it.
    ("POST", "/evidence/{queued}/cancel/", {**MEMBERS_ONLY_PAGE, "same_org": 302}),
    ("POST", "/evidence/{failed}/retry/", {**MEMBERS_ONLY_PAGE, "same_org": 302}),
    ("POST", "/evidence/{subfailed}/retry/", {**SUBMISSION_PAGE, "same_org": 302, "assessor": 302}),
    ("POST", "/api/exports/{queued}/cancel/", {**MEMBERS_ONLY_API, "same_org": 202}),
    ("POST", "/api/exports/{failed}/retry/", {**MEMBERS_ONLY_API, "same_org": 202}),
    ("POST", "/api/exports/{subfailed}/retry/", {**SUBMISSION_API, "same_org": 202, "assessor": 202}),
]


@pytest.fixture
def objects(personas) -> dict[str, Any]:
    from evidence.services import export_request, export_submission

    wf = make_workflow(personas.acme, personas.pat, "Matrix workflow")
    job = fake_done(
        export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)
    )
    sub = make_submission(personas.acme, personas.alice, [head(wf)], assessor=personas.ada)
    subjob = fake_done(export_submission(user=personas.alice, submission=sub))
    queued = export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)
    failed = export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)
    subfailed = export_submission(user=personas.alice, submission=sub)
    ExportJob.objects.filter(pk__in=[failed.pk, subfailed.pk]).update(
        status=ExportJob.FAILED, error="Failed."
    )
    return {
        "wf": wf.pk,
        "job": job.pk,
        "sub": sub.pk,
        "subjob": subjob.pk,
        "queued": queued.pk,
        "failed": failed.pk,
        "subfailed": subfailed.pk,
    }


@pytest.mark.parametrize(
    ("method", "url", "expected"), ROWS + POST_ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS + POST_ROWS]
)
def test_access(personas, client_for, objects, method, url, expected):
    data = {} if method == "POST" and not url.startswith("/api/") else None  # API: an empty body
    assert check_access(client_for, personas, method, url, expected, objects, data=data) == []
