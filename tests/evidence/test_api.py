"""The export API: 202 with the job URL, status and progress, download URLs when done."""

from __future__ import annotations

import json

import pytest

from evidence.models import ExportJob
from tests.evidence.helpers import fake_done, head, make_workflow

pytestmark = pytest.mark.django_db


def test_post_answers_202_with_the_job_url_and_get_follows_it_to_the_downloads(
    personas, client_for, django_capture_on_commit_callbacks
):
    wf = make_workflow(personas.acme, personas.pat)
    api = client_for(personas.pat)
    with django_capture_on_commit_callbacks() as queued:
        resp = api.post(f"/api/workflows/{wf.pk}/exports/", {}, content_type="application/json")
    assert resp.status_code == 202
    body = resp.json()
    assert len(queued) == 1  # the Celery task is sent after commit
    assert body["url"].endswith(f"/api/exports/{body['id']}/") and resp["Location"] == body["url"]
    assert body["status"] == "queued" and body["progress"] == {"percent": 0, "step": "Waiting for a worker"}
    assert body["workflows"] == [{"workflow": wf.pk, "version": 1, "content_hash": head(wf).content_hash}]
    assert "pdf_url" not in body and "bundle_url" not in body

    job = ExportJob.objects.get(pk=body["id"])
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.RUNNING, progress=42, step="Laying out the pages"
    )
    running = api.get(body["url"]).json()
    assert running["status"] == "running" and running["progress"] == {
        "percent": 42,
        "step": "Laying out the pages",
    }

    fake_done(job)
    done = api.get(body["url"]).json()
    assert done["status"] == "done"
    assert done["pdf_url"].endswith(".pdf") and done["bundle_url"].endswith(".zip")
    pdf = api.get(done["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert 'filename="evidence-pack-acme-ai-EXP-' in pdf["Content-Disposition"]
    bundle = api.get(done["bundle_url"])
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"

    listed = api.get(f"/api/workflows/{wf.pk}/exports/").json()
    assert [j["id"] for j in listed["results"]] == [job.pk]


def test_a_failed_job_reports_its_error_and_has_no_files(personas, client_for):
    from evidence.services import export_request

    wf = make_workflow(personas.acme, personas.pat)
    job = export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.FAILED, error="The export failed.")
    api = client_for(personas.pat)
    body = api.get(f"/api/exports/{job.pk}/").json()
    assert body["status"] == "failed" and body["error"] == "The export failed."
    assert api.get(f"/api/exports/{job.pk}/evidence-pack.pdf").status_code == 404


def test_a_set_of_workflows_and_validation_errors(personas, client_for):
    a = make_workflow(personas.acme, personas.pat, "A")
    b = make_workflow(personas.acme, personas.pat, "B")
    theirs = make_workflow(personas.globex, personas.gus, "Globex")
    api = client_for(personas.pat)

    ok = api.post("/api/exports/", {"workflows": [a.pk, b.pk]}, content_type="application/json")
    assert ok.status_code == 202 and {w["workflow"] for w in ok.json()["workflows"]} == {a.pk, b.pk}

    foreign = api.post("/api/exports/", {"workflows": [a.pk, theirs.pk]}, content_type="application/json")
    assert foreign.status_code == 404 and foreign.json()["errors"][0]["path"] == "workflows"
    neither = api.post("/api/exports/", {}, content_type="application/json")
    assert neither.status_code == 400 and neither.json()["errors"][0]["path"] == "workflows"
    wrong = api.post(f"/api/workflows/{a.pk}/exports/", {"version": "1"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["path"] == "version"
    missing = api.post(f"/api/workflows/{a.pk}/exports/", {"version": 9}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["path"] == "version"
    assert (
        api.post(f"/api/workflows/{theirs.pk}/exports/", {}, content_type="application/json").status_code
        == 404
    )


def test_organisation_isolation(personas, client_for):
    mine = fake_done(_job(personas))
    gus = client_for(personas.gus)
    for url in (
        f"/api/exports/{mine.pk}/",
        f"/api/exports/{mine.pk}/evidence-pack.pdf",
        f"/api/exports/{mine.pk}/evidence-bundle.zip",
    ):
        assert gus.get(url).status_code == 404, url
    assert gus.get("/api/exports/").json()["results"] == []
    assert [j["id"] for j in client_for(personas.pat).get("/api/exports/").json()["results"]] == [mine.pk]
    # an adviser in both organisations sees it only while acting for Acme
    mia = client_for(personas.mia)
    assert mia.get(f"/api/exports/{mine.pk}/", HTTP_X_ORGANISATION="globex").status_code == 404
    assert mia.get(f"/api/exports/{mine.pk}/", HTTP_X_ORGANISATION="acme-ai").status_code == 200


def test_the_api_is_documented(client_for, personas):
    schema = json.loads(
        client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    )
    assert "post" in schema["paths"]["/api/workflows/{workflow_id}/exports/"]
    assert "get" in schema["paths"]["/api/exports/{export_id}/"]
    job = schema["components"]["schemas"]["EvidenceExport"]["properties"]
    assert {"status", "progress", "pdf_url", "bundle_url", "url"} <= set(job)


def test_finished_exports_are_offered_as_dsa_evidence(personas):
    from assessments.evidence_kinds import evidence_kind
    from evidence.selectors import exports_for_organisation
    from lib.errors import DomainError
    from tests.evidence.helpers import make_submission

    done = fake_done(_job(personas))
    _job(personas)  # still queued: not attachable
    assert list(exports_for_organisation(personas.acme)) == [done]
    assert list(exports_for_organisation(personas.globex)) == []

    kind = evidence_kind("export")
    sub = make_submission(personas.acme, personas.alice, [done.versions.first()])
    assert [v for v, _ in kind.options(sub.assessment)] == [str(done.pk)]
    ref = kind.resolve(sub.assessment, str(done.pk))
    assert (ref.ref_type, ref.ref_id) == ("evidence.ExportJob", done.pk)
    theirs = make_submission(
        personas.globex, personas.gus, [head(make_workflow(personas.globex, personas.gus))]
    )
    with pytest.raises(DomainError):
        kind.resolve(theirs.assessment, str(done.pk))


def _job(personas):
    from evidence.services import export_request

    wf = make_workflow(personas.acme, personas.pat)
    return export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)
