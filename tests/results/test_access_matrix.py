"""Every imported-results URL × every persona → the expected status (see tests/access.py).

Members of the workflow's organisation (pat the practitioner, alice the admin, mia the adviser
whose active organisation is Acme AI) may import and read; gus of Globex gets 404 (existence not
revealed); the assessor and the platform admin, who belong to no organisation, get 403;
anonymous visitors are sent to sign in (pages) or get 401 (API).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.access import LOGIN

pytestmark = pytest.mark.django_db

PROMPTFOO = Path(__file__).parent / "fixtures" / "promptfoo" / "results.json"
ORDER = ["anonymous", "gus", "ada", "root", "pat", "alice", "mia"]
MEMBERS = ("pat", "alice", "mia")


def _expect(ok: Any, *, anonymous: Any) -> dict[str, Any]:
    return {"anonymous": anonymous, "gus": 404, "ada": 403, "root": 403, **dict.fromkeys(MEMBERS, ok)}


ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/studio/{wf}/results/", _expect(200, anonymous=LOGIN)),
    ("POST", "/studio/{wf}/results/", _expect(302, anonymous=LOGIN)),
    ("GET", "/studio/{wf}/results/{res}/", _expect(200, anonymous=LOGIN)),
    ("GET", "/studio/{wf}/results/{res}/file/", _expect(200, anonymous=LOGIN)),
    ("GET", "/api/workflows/{wf}/results/", _expect(200, anonymous=401)),
    ("POST", "/api/workflows/{wf}/results/", _expect(201, anonymous=401)),
    ("GET", "/api/results/{res}/", _expect(200, anonymous=401)),
]


@pytest.fixture
def result_objects(personas) -> dict[str, Any]:
    from results.services import result_import
    from tests.studio.helpers import make_workflow

    wf = make_workflow(personas.acme, personas.pat, "Matrix workflow")
    with PROMPTFOO.open("rb") as fh:
        res = result_import(workflow=wf, user=personas.pat, fh=fh, file_name="results.json")
    return {"wf": wf.pk, "res": res.pk}


@pytest.mark.parametrize("method,url,expected", ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS])
def test_access_matrix(method, url, expected, personas, result_objects, client_for):
    target = url.format(**result_objects)
    failures = []
    for persona in ORDER:
        user = None if persona == "anonymous" else getattr(personas, persona)
        c = client_for(user)
        if method == "POST":
            data = {"file": SimpleUploadedFile("results.json", PROMPTFOO.read_bytes()), "version": "1"}
            resp = c.post(target, data)
        else:
            resp = c.get(target)
        want = expected[persona]
        ok = (
            resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
            if want == LOGIN
            else resp.status_code == want
        )
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    assert not failures, f"{method} {target}: " + "; ".join(failures)


def test_adviser_reaches_the_other_client_only_by_switching(personas, client):
    """mia imports onto a Globex workflow only with Globex active (X-Organisation)."""
    from accounts.services import api_token_issue
    from tests.studio.helpers import make_workflow

    wf = make_workflow(personas.globex, personas.gus, "Globex flow")
    token = api_token_issue(user=personas.mia)
    h = {"HTTP_AUTHORIZATION": f"Token {token}"}
    url = f"/api/workflows/{wf.pk}/results/"
    assert (
        client.post(url, {"file": SimpleUploadedFile("r.json", PROMPTFOO.read_bytes())}, **h).status_code
        == 404
    )
    resp = client.post(
        url, {"file": SimpleUploadedFile("r.json", PROMPTFOO.read_bytes())}, HTTP_X_ORGANISATION="globex", **h
    )
    assert resp.status_code == 201


def test_every_results_url_is_in_the_matrix():
    import re

    from django.urls import get_resolver

    ours = {
        str(outer.pattern) + str(inner.pattern)
        for outer in get_resolver().url_patterns
        if getattr(outer, "urlconf_name", None) is not None
        and getattr(outer.urlconf_module, "__name__", "").startswith("results")
        for inner in outer.url_patterns
    }
    assert len(ours) == 5
    covered = {url.lstrip("/") for _, url, _ in ROWS}
    for pattern in ours:
        template = re.sub(r"<int:workflow_id>", "{wf}", pattern).replace("<int:result_id>", "{res}")
        assert template in covered, f"{pattern} has no row in the access matrix"
