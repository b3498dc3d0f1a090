"""Every launch-pack URL × every persona → the expected status (see tests/access.py).

The pages of a client are for its members (admins, practitioners and advisers alike: it is the
organisation's own data). Everyone else — another organisation's member, the assessor, the
platform admin — gets 404, so a client's existence is not revealed. There is no role check, so
no 403: a practitioner may read the pack its admins read."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from msp.models import PdfRender
from tests.access import LOGIN, check_access
from tests.msp.helpers import make_workflow, unguarded_doc

pytestmark = pytest.mark.django_db

MEMBERS = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 404, "admin": 404}
MEMBERS_POST = {**MEMBERS, "same_org": 302}
MONTH = "{month}"

ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/clients/acme-ai/launch-pack/", MEMBERS),
    ("GET", f"/clients/acme-ai/reports/monthly/{MONTH}/", MEMBERS),
    ("GET", "/clients/acme-ai/pdfs/{done}/", MEMBERS),
    ("GET", "/clients/acme-ai/pdfs/{done}/download/", MEMBERS),
    ("GET", "/clients/acme-ai/pdfs/{queued}/", MEMBERS),
    # An unknown client is a 404 for everyone signed in, exactly like a client of someone else.
    ("GET", "/clients/no-such-org/launch-pack/", {**MEMBERS, "same_org": 404}),
    # Another client's render addressed through one's own client: 404 (the id is not theirs).
    ("GET", "/clients/globex/pdfs/{done}/", {**MEMBERS, "same_org": 404, "other_org": 404}),
    ("POST", "/clients/acme-ai/launch-pack/pdf/", MEMBERS_POST),
    ("POST", f"/clients/acme-ai/reports/monthly/{MONTH}/pdf/", MEMBERS_POST),
    # GET where POST is expected: the method check runs first, so every persona gets 405.
    (
        "GET",
        "/clients/acme-ai/launch-pack/pdf/",
        {"anonymous": 405, "same_org": 405, "other_org": 405, "assessor": 405, "admin": 405},
    ),
]


@pytest.fixture
def launchpack_objects(personas: Any) -> dict[str, Any]:
    from lib import artefacts

    make_workflow(personas.acme, personas.pat, unguarded_doc("Matrix workflow"))
    pdf = b"%PDF-1.7 matrix"
    stored = artefacts.save("launchpacks", pdf, name=artefacts.random_name(".pdf"))
    done = PdfRender.objects.create(
        organisation=personas.acme,
        kind=PdfRender.LAUNCH_PACK,
        requested_by=personas.pat,
        status=PdfRender.DONE,
        pdf_name=stored.name,
        pdf_sha256=stored.sha256,
        pdf_size=stored.size,
        pages=1,
    )
    queued = PdfRender.objects.create(
        organisation=personas.acme, kind=PdfRender.LAUNCH_PACK, requested_by=personas.pat
    )
    return {"done": done.pk, "queued": queued.pk, "month": timezone.localdate().strftime("%Y-%m")}


@pytest.mark.parametrize(("method", "url", "expected"), ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS])
def test_access(
    personas: Any, client_for: Any, launchpack_objects: Any, method: str, url: str, expected: Any
) -> None:
    data = {} if method == "POST" else None
    assert check_access(client_for, personas, method, url, expected, launchpack_objects, data=data) == []


@pytest.mark.parametrize("who", ["alice", "mia"])
def test_the_clients_admin_and_its_adviser_reach_every_page(
    personas: Any, client_for: Any, launchpack_objects: Any, who: str
) -> None:
    c = client_for(getattr(personas, who))
    for url in (
        "/clients/acme-ai/launch-pack/",
        f"/clients/acme-ai/reports/monthly/{launchpack_objects['month']}/",
        f"/clients/acme-ai/pdfs/{launchpack_objects['done']}/",
        f"/clients/acme-ai/pdfs/{launchpack_objects['done']}/download/",
    ):
        assert c.get(url).status_code == 200, url
    assert c.post("/clients/acme-ai/launch-pack/pdf/").status_code == 302
    # mia advises Globex too: its pack is hers to read; alice's is Acme only.
    assert c.get("/clients/globex/launch-pack/").status_code == (200 if who == "mia" else 404)
