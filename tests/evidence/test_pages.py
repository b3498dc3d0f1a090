"""Evidence pages: the workflow's Evidence tab, a set of workflows, the job page with htmx polling."""

from __future__ import annotations

import pytest

from evidence.models import ExportJob
from tests.evidence.helpers import fake_done, head, make_workflow

pytestmark = pytest.mark.django_db


def test_export_from_the_evidence_tab_and_follow_the_job(personas, client_for):
    wf = make_workflow(personas.acme, personas.pat)
    pat = client_for(personas.pat)
    tab = pat.get(f"/evidence/workflows/{wf.pk}/")
    assert tab.status_code == 200
    html = tab.content.decode()
    assert 'aria-current="page">Evidence</a>' in html and "Export evidence" in html

    started = pat.post(f"/evidence/workflows/{wf.pk}/")
    job = ExportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/evidence/{job.pk}/"
    assert list(job.versions.all()) == [head(wf)] and job.created_by == personas.pat

    page = pat.get(f"/evidence/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "Queued" in page  # polls while the job is open

    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.RUNNING, progress=55, step="Laying out the pages"
    )
    partial = pat.get(f"/evidence/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="export-status"') and "<html" not in partial
    assert 'value="55"' in partial and "Laying out the pages" in partial and "hx-trigger" in partial

    fake_done(job)
    finished = pat.get(f"/evidence/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in finished  # polling stops
    assert (
        f"/evidence/{job.pk}/evidence-pack.pdf" in finished
        and f"/evidence/{job.pk}/evidence-bundle.zip" in finished
    )
    download = pat.get(f"/evidence/{job.pk}/evidence-bundle.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Cache-Control"] == "private, no-store"
    assert job.reference in pat.get(f"/evidence/workflows/{wf.pk}/").content.decode()  # listed per workflow

    from evidence.services import export_path

    export_path(job.pdf_name).write_bytes(b"%PDF-1.7 altered on disk")
    assert pat.get(f"/evidence/{job.pk}/evidence-pack.pdf").status_code == 409  # never served once altered


def test_export_a_set_of_workflows(personas, client_for):
    a = make_workflow(personas.acme, personas.pat, "Alpha")
    b = make_workflow(personas.acme, personas.pat, "Beta")
    make_workflow(personas.globex, personas.gus, "Globex only")
    pat = client_for(personas.pat)
    page = pat.get("/evidence/").content.decode()
    assert "Alpha" in page and "Beta" in page and "Globex only" not in page

    resp = pat.post("/evidence/", {"workflows": [a.pk, b.pk]})
    job = ExportJob.objects.get()
    assert resp.status_code == 302 and {v.workflow_id for v in job.versions.all()} == {a.pk, b.pk}
    assert job.title == "Alpha and Beta"

    other = make_workflow(personas.globex, personas.gus, "Not yours")
    refused = pat.post("/evidence/", {"workflows": [a.pk, other.pk]})
    assert refused.status_code == 200 and ExportJob.objects.count() == 1  # form error, nothing started


def test_a_failed_job_shows_its_error(personas, client_for):
    from evidence.services import export_request

    job = export_request(
        organisation=personas.acme,
        user=personas.pat,
        versions=[head(make_workflow(personas.acme, personas.pat))],
        enqueue=False,
    )
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.FAILED, error="The export could not be made: no rubric."
    )
    page = client_for(personas.pat).get(f"/evidence/{job.pk}/").content.decode()
    assert "no rubric" in page and "hx-trigger" not in page
    assert client_for(personas.pat).get(f"/evidence/{job.pk}/evidence-pack.pdf").status_code == 404
