"""Importing results onto a workflow through the API and the pages: it works, the file is kept
with its SHA-256, other organisations see nothing, refusals are clear JSON or form errors."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
PROMPTFOO = FIXTURES / "promptfoo" / "results.json"
OTLP_DRIFT = FIXTURES / "otlp" / "drift.otlp.json"


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/json")


def test_api_import_promptfoo_answers_format_counts_and_id(client_for, personas, settings):
    wf = make_workflow(personas.acme, personas.pat)
    pat = client_for(personas.pat)
    resp = pat.post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO)})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["format"] == "promptfoo" and body["tool_version"] == "0.123.1"
    assert body["counts"] == {"tests": 8, "pass": 4, "fail": 4, "error": 0}
    assert body["file_sha256"] == hashlib.sha256(PROMPTFOO.read_bytes()).hexdigest()
    stored = Path(settings.MEDIA_ROOT) / "results"
    assert [p.read_bytes() for p in stored.iterdir()] == [PROMPTFOO.read_bytes()]
    one = pat.get(f"/api/results/{body['id']}/").json()
    assert one["report"]["mapping"]["domains"]["PSF-2"]["tests"] == 6
    listed = pat.get(f"/api/workflows/{wf.pk}/results/").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]


def test_api_import_trace_with_token_reports_drift(client, personas):
    from accounts.services import api_token_issue

    wf = make_workflow(personas.acme, personas.pat)
    token = api_token_issue(user=personas.pat)
    resp = client.post(
        f"/api/workflows/{wf.pk}/results/",
        {"file": upload(OTLP_DRIFT, "traces.json"), "format": "otlp", "version": "1"},
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["format"] == "otlp" and body["counts"]["spans"] == 21 and body["failing"] == 2
    report = client.get(f"/api/results/{body['id']}/", HTTP_AUTHORIZATION=f"Token {token}").json()["report"]
    assert {f["rule_id"] for f in report["findings"] if f["failing"]} == {
        "TRACE-DRIFT-VENDOR",
        "TRACE-DRIFT-TOOL",
    }


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x1f\x8b\x08\x00\x00", "gzip"),
        (b'{"hello": "world"}', "not a result format"),
        (b"{" * 100 + b'"resourceSpans"' + b"}" * 100, "not a result format"),
        (b'{"resourceSpans": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests deeper"),
    ],
)
def test_api_refuses_hostile_files_with_json_errors(client_for, personas, content, message):
    from results.models import ImportedResult

    wf = make_workflow(personas.acme, personas.pat)
    resp = client_for(personas.pat).post(
        f"/api/workflows/{wf.pk}/results/", {"file": SimpleUploadedFile("x.json", content)}
    )
    assert resp.status_code == 400
    assert message in resp.json()["message"]
    assert not ImportedResult.objects.exists()


def test_api_refuses_a_mismatched_claim_and_a_missing_file(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat = client_for(personas.pat)
    resp = pat.post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO), "format": "otlp"})
    assert resp.status_code == 400 and "sent as otlp" in resp.json()["message"]
    assert pat.post(f"/api/workflows/{wf.pk}/results/", {}).status_code == 400
    bad = pat.post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO), "format": "garak"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "format"
    assert (
        pat.post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO), "version": "9"}).status_code
        == 404
    )


def test_other_organisation_gets_404(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    result = (
        client_for(personas.pat).post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO)}).json()
    )
    gus = client_for(personas.gus)
    assert gus.post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO)}).status_code == 404
    assert gus.get(f"/api/results/{result['id']}/").status_code == 404
    assert gus.get(f"/studio/{wf.pk}/results/{result['id']}/").status_code == 404


def test_page_import_then_detail_shows_mapping_and_drift(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat = client_for(personas.pat)
    page = pat.get(f"/studio/{wf.pk}/results/")
    assert page.status_code == 200 and b"Import results" in page.content
    resp = pat.post(f"/studio/{wf.pk}/results/", {"file": upload(OTLP_DRIFT), "format": "", "version": "1"})
    assert resp.status_code == 302
    detail = pat.get(resp["Location"])
    html = detail.content.decode()
    assert "TRACE-DRIFT-VENDOR" in html and "mistral_ai" in html and "Observed against designed" in html
    resp = pat.post(f"/studio/{wf.pk}/results/", {"file": upload(PROMPTFOO), "version": "1"})
    html = pat.get(resp["Location"]).content.decode()
    assert "LLM07:2025" in html and "PSF-2" in html and "Wilson" in html
    listing = pat.get(f"/studio/{wf.pk}/results/").content.decode()
    assert listing.count("failing") >= 2
    assert "TRACE-DRIFT-VENDOR" in listing and "REDTEAM-FAILED" in listing and "more</li>" in listing
    download = pat.get(resp["Location"] + "file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PROMPTFOO.read_bytes()


def test_page_refusal_is_a_form_error_and_user_text_is_escaped(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat = client_for(personas.pat)
    resp = pat.post(
        f"/studio/{wf.pk}/results/",
        {"file": SimpleUploadedFile("x.json", b"\x1f\x8b\x08"), "version": "1"},
    )
    assert resp.status_code == 400 and b"gzip" in resp.content
    data = json.loads(OTLP_DRIFT.read_text())
    span = data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"].append(
        {"key": "workflowos.step", "value": {"stringValue": "<script>alert(1)</script>"}}
    )
    resp = pat.post(
        f"/studio/{wf.pk}/results/",
        {"file": SimpleUploadedFile("t.json", json.dumps(data).encode()), "version": "1"},
    )
    html = pat.get(resp["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_import_is_in_the_audit_log(client_for, personas):
    from core.models import AuditEvent

    wf = make_workflow(personas.acme, personas.pat)
    client_for(personas.pat).post(f"/api/workflows/{wf.pk}/results/", {"file": upload(PROMPTFOO)})
    ev = AuditEvent.objects.get(action="results.import")
    assert ev.data["format"] == "promptfoo" and ev.actor_email == personas.pat.email


def test_workflow_nav_links_to_import_results(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    html = client_for(personas.pat).get(f"/studio/{wf.pk}/steps/").content.decode()
    assert f"/studio/{wf.pk}/results/" in html


def test_service_stores_nothing_for_a_refused_file(personas, settings):
    from results.parsers import ImportRefused
    from results.services import result_import

    wf = make_workflow(personas.acme, personas.pat)
    with pytest.raises(ImportRefused):
        result_import(workflow=wf, user=personas.pat, fh=io.BytesIO(b"[]"), file_name="x.json")
    assert not (Path(settings.MEDIA_ROOT) / "results").exists()


def test_openapi_documents_the_results_endpoints(client_for, personas):
    import yaml

    schema = client_for(None).get("/api/schema/")
    assert schema.status_code == 200
    paths = yaml.safe_load(schema.content)["paths"]
    post = paths["/api/workflows/{workflow_id}/results/"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "201" in post["responses"] and "413" in post["responses"]
    assert "/api/results/{result_id}/" in paths


def test_api_refuses_an_oversized_request_before_reading_it(client_for, personas):
    from results.parsers import MAX_BYTES

    wf = make_workflow(personas.acme, personas.pat)
    resp = client_for(personas.pat).post(
        f"/api/workflows/{wf.pk}/results/",
        {"file": upload(PROMPTFOO)},
        CONTENT_LENGTH=str(MAX_BYTES + 1024 * 1024),
    )
    assert resp.status_code == 413 and resp.json()["error"] == "too_large"
