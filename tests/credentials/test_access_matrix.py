"""Every credentials URL × every persona (tests/access.py), plus alice (organisation admin) and
mia (adviser in several organisations). The ladder, registry, record, certificate, credential and
verify API are public; the exam and "my credentials" need a sign-in but no organisation (the
assessor and the platform admin, who belong to none, may take AIDA too). An attempt or a
credential setting belongs to its owner: everyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access import LOGIN, PERSONAS, check_access
from tests.credentials.conftest import pass_attempt

pytestmark = pytest.mark.django_db

PUBLIC = dict.fromkeys(PERSONAS, 200)
SIGNED_IN = {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200}
OWNER_ONLY = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 404, "admin": 404}
OWNER_POST = {"anonymous": LOGIN, "same_org": 302, "other_org": 404, "assessor": 404, "admin": 404}
GET_ONLY = {"anonymous": 405, "same_org": 405, "other_org": 405, "assessor": 405, "admin": 405}

ROWS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("GET", "/credentials/", PUBLIC, None),
    ("GET", "/credentials/aida/", SIGNED_IN, None),
    ("GET", "/credentials/aida/attempts/{attempt}/", OWNER_ONLY, None),
    ("GET", "/credentials/aida/attempts/not-an-id/", {**OWNER_ONLY, "same_org": 404}, None),
    ("POST", "/credentials/aida/attempts/{attempt}/answer/", OWNER_POST, {"q1": "{token}"}),
    ("GET", "/credentials/aida/attempts/{attempt}/answer/", GET_ONLY | {"anonymous": LOGIN}, None),
    # pat's attempt is already submitted (she passed): her second submit is refused with 409.
    (
        "POST",
        "/credentials/aida/attempts/{done}/submit/",
        {**OWNER_POST, "same_org": 409},
        {"holder_name": "X"},
    ),
    ("GET", "/credentials/mine/", SIGNED_IN, None),
    ("POST", "/credentials/mine/{cid}/listing/", OWNER_POST, {"listed": "on"}),
    ("POST", "/credentials/mine/AIDA-2026-9999/listing/", {**OWNER_POST, "same_org": 404}, {}),
    ("GET", "/credentials/{cid}/certificate.pdf", PUBLIC, None),
    ("GET", "/credentials/{cid}/credential.jwt", PUBLIC, None),
    ("GET", "/credentials/AIDA-2026-9999/credential.jwt", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/registry/", PUBLIC, None),
    ("GET", "/registry/?q={cid}", PUBLIC, None),
    ("GET", "/registry/{cid}", PUBLIC, None),
    ("GET", "/registry/AIDA-2026-9999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/api/certify/credential/verify?id={cid}", PUBLIC, None),
    ("GET", "/api/certify/credential/verify?id=AIDA-2026-9999", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/api/certify/credential/verify?id=AIDA-1", dict.fromkeys(PERSONAS, 400), None),
    ("POST", "/api/certify/credential/verify?id={cid}", dict.fromkeys(PERSONAS, 405), None),
    ("GET", "/admin/credentials/personalcredential/", {**dict.fromkeys(PERSONAS, 302), "admin": 200}, None),
    ("GET", "/admin/credentials/examattempt/", {**dict.fromkeys(PERSONAS, 302), "admin": 200}, None),
]


@pytest.fixture
def objects(personas) -> dict[str, Any]:
    from credentials.services import attempt_start

    done = pass_attempt(personas.pat)
    # An open attempt of pat's (the wait is lifted for the fixture).
    from datetime import timedelta

    from django.utils import timezone

    from credentials.models import ExamAttempt

    ExamAttempt.objects.filter(pk=done.pk).update(submitted=timezone.now() - timedelta(days=4))
    attempt = attempt_start(user=personas.pat)
    token = attempt.questions.get(position=1).option_tokens[0]
    return {
        "attempt": attempt.public_id,
        "done": done.public_id,
        "cid": done.credential.credential_id,
        "token": token,
    }


@pytest.mark.parametrize("method,url,expected,data", ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(method, url, expected, data, personas, objects, client_for: Callable[..., Any]):
    data = {k: v.format(**objects) for k, v in data.items()} if data is not None else None
    assert not check_access(client_for, personas, method, url, expected, objects, data)


@pytest.mark.parametrize("who", ["alice", "mia"])
def test_organisation_people_take_the_exam_but_never_reach_others_attempts(
    who, personas, objects, client_for
):
    c = client_for(getattr(personas, who))
    assert c.get("/credentials/aida/").status_code == 200
    assert c.get(f"/credentials/aida/attempts/{objects['attempt']}/").status_code == 404
    assert (
        c.post(
            f"/credentials/aida/attempts/{objects['attempt']}/answer/", {"q1": objects["token"]}
        ).status_code
        == 404
    )
    assert c.post(f"/credentials/mine/{objects['cid']}/listing/", {}).status_code == 404
    assert c.post("/credentials/aida/").status_code == 302  # their own attempt


def test_every_credentials_url_is_in_the_matrix():
    import re

    from django.urls import get_resolver

    ours = [
        str(outer.pattern) + str(inner.pattern)
        for outer in get_resolver().url_patterns
        if getattr(outer, "urlconf_name", None) is not None
        and getattr(outer.urlconf_module, "__name__", "").startswith("credentials")
        for inner in outer.url_patterns
    ]
    assert len(ours) >= 12
    rows = [u.split("?")[0].lstrip("/") for _, u, _, _ in ROWS]
    for pattern in ours:
        regex = re.sub(r"<str:\w+>", r"[^/]+", pattern.lstrip("^").rstrip("$"))
        assert any(re.fullmatch(regex, url) for url in rows), f"{pattern} has no row in the access matrix"
