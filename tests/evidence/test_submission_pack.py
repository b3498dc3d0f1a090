"""A pack of a DSA submission: the frozen versions plus the assessor's scores and decision; open
to the organisation and the assigned assessor only."""

from __future__ import annotations

import html

import pytest

from evidence.models import ExportJob
from evidence.services import export_submission, pack_document
from tests.evidence.helpers import HOSTILE, fake_done, head, make_submission, make_workflow

pytestmark = pytest.mark.django_db


def test_the_submission_pack_shows_scores_and_decision(personas, client_for):
    wf = make_workflow(personas.acme, personas.pat, "Support bot")
    frozen = head(wf)
    sub = make_submission(personas.acme, personas.alice, [frozen], assessor=personas.ada, decided=True)
    # A later save does not change what the submission froze.
    from studio.format import parse_document
    from studio.services import workflow_save
    from tests.evidence.helpers import doc

    workflow_save(
        workflow=wf, author=personas.pat, document=parse_document(doc("Support bot v2")), base_number=1
    )

    job = export_submission(user=personas.ada, submission=sub)
    assert job.scope == ExportJob.SUBMISSION and list(job.versions.all()) == [frozen]
    # The PDF rendering itself is proven in test_export; here the pack's content is enough.
    pack, page = pack_document(job=ExportJob.objects.get(pk=job.pk))
    text = html.unescape(page)
    assert {a.kind for a in pack.artefacts} == {"workflow", "analysis", "submission", "review"}
    assert "Assessment scores and decision" in text
    assert sub.assessment.reference in text and "Passed" in text
    assert "PSF-1.1" in text and "Injection filter on every path." in text
    assert HOSTILE in text and HOSTILE not in page  # an assessor's comment is user text too: escaped
    assert "Support bot v2" not in text
    fake_done(job)

    # The assigned assessor may follow and download it; an unassigned assessor and another organisation may not.
    ada = client_for(personas.ada)
    assert ada.get(f"/evidence/{job.pk}/").status_code == 200
    assert ada.get(f"/api/exports/{job.pk}/evidence-bundle.zip").status_code == 200
    assert ada.get(f"/evidence/submissions/{sub.pk}/").status_code == 200
    from accounts.models import User

    other = User.objects.create_user("eve@workflowos.example", "x", is_assessor=True)
    for client in (client_for(other), client_for(personas.gus)):
        assert client.get(f"/evidence/{job.pk}/").status_code == 404
        assert client.get(f"/api/exports/{job.pk}/evidence-pack.pdf").status_code == 404
        assert client.get(f"/evidence/submissions/{sub.pk}/").status_code == 404
    assert client_for(personas.pat).get(f"/evidence/submissions/{sub.pk}/").status_code == 200


def test_a_submission_pack_is_listed_for_the_submission(personas, client_for):
    sub = make_submission(personas.acme, personas.alice, [head(make_workflow(personas.acme, personas.pat))])
    job = fake_done(export_submission(user=personas.alice, submission=sub))
    page = client_for(personas.pat).get(f"/evidence/submissions/{sub.pk}/")
    assert job.reference in page.content.decode()
