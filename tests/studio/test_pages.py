from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.models import Workflow
from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def pat(client_for, personas):
    return client_for(personas.pat)


def test_list_search_sort_paginate(pat, personas):
    for i in range(23):
        make_workflow(personas.acme, personas.pat, f"Flow {i:02d}")
    make_workflow(personas.globex, personas.gus, "Globex secret flow")
    html = pat.get("/studio/?sort=name").content.decode()
    assert "Flow 00" in html and "Page 1 of 2" in html and "Globex" not in html.split("<main")[1]
    assert "Flow 22" in pat.get("/studio/?sort=name&page=2").content.decode()
    found = pat.get("/studio/?q=Flow 1").content.decode()
    assert "Flow 10" in found and "Flow 02" not in found
    partial = pat.get("/studio/?q=Flow 0", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Flow 03" in partial.content.decode()


def test_list_query_count_is_constant(pat, personas, django_assert_max_num_queries):
    for i in range(20):
        make_workflow(personas.acme, personas.pat, f"Flow {i}")
    with django_assert_max_num_queries(12):
        assert pat.get("/studio/").status_code == 200


def test_create_blank_and_from_template(pat, personas):
    resp = pat.post("/studio/new/", {"name": "Blank one", "template": ""})
    assert resp.status_code == 302
    blank = Workflow.objects.get(name="Blank one")
    assert blank.organisation == personas.acme and blank.head_number == 1
    resp = pat.post("/studio/new/", {"name": "Our email triage", "template": "email-triage"})
    wf = Workflow.objects.get(name="Our email triage")
    assert wf.template_slug == "email-triage"
    assert wf.versions.get().node_count >= 5
    assert pat.post("/studio/new/", {"name": ""}).status_code == 400


def test_templates_listed_on_new_page(pat):
    html = pat.get("/studio/new/").content.decode()
    for slug in (
        "rag-assistant",
        "support-agent-tools",
        "document-extraction",
        "high-stakes-decision",
        "code-assistant",
        "internal-knowledge-search",
        "email-triage",
    ):
        assert f'value="{slug}"' in html


def test_form_view_add_configure_connect_delete(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    resp = pat.post(
        f"/studio/{wf.pk}/steps/add/",
        {"type": "pii_redactor", "label": "Redact PII", "node_id": "redact", "base_version": 1},
    )
    assert resp.status_code == 302 and resp["Location"].endswith("/steps/redact/")
    page = pat.get(resp["Location"]).content.decode()
    assert 'name="cfg_method"' in page
    resp = pat.post(
        f"/studio/{wf.pk}/steps/redact/",
        {
            "label": "Redact PII",
            "base_version": 2,
            "cfg_method": "tokenise",
            "cfg_detection_rate": "0.97",
            "cfg_data_categories": "personal, financial",
        },
    )
    assert resp.status_code == 302
    resp = pat.post(
        f"/studio/{wf.pk}/edges/add/",
        {"source": "in", "target": "redact", "kind": "data", "label": "", "base_version": 3},
    )
    assert resp.status_code == 302
    doc = pat.get(f"/api/workflows/{wf.pk}/").json()["document"]
    node = next(n for n in doc["nodes"] if n["id"] == "redact")
    assert node["config"] == {
        "method": "tokenise",
        "detection_rate": 0.97,
        "data_categories": ["personal", "financial"],
    }
    assert any(e["from"] == "in" and e["to"] == "redact" for e in doc["edges"])
    pat.post(f"/studio/{wf.pk}/steps/redact/delete/", {"base_version": 4})
    doc = pat.get(f"/api/workflows/{wf.pk}/").json()["document"]
    assert all(n["id"] != "redact" for n in doc["nodes"]) and all(
        "redact" not in (e["from"], e["to"]) for e in doc["edges"]
    )


def test_form_view_refuses_invalid_config_with_field_errors(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    resp = pat.post(
        f"/studio/{wf.pk}/steps/llm/", {"label": "Answer", "base_version": 1, "cfg_temperature": "7"}
    )
    assert resp.status_code == 400
    assert "Ensure this value is less than or equal to 2" in resp.content.decode()
    assert Workflow.objects.get(pk=wf.pk).head_number == 1


def test_form_view_conflict_is_reported_not_lost(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat.post(f"/studio/{wf.pk}/steps/add/", {"type": "tracing", "label": "Trace", "base_version": 1})
    resp = pat.post(
        f"/studio/{wf.pk}/steps/add/", {"type": "alerting", "label": "Alerts", "base_version": 1}, follow=True
    )
    assert "Your changes were not saved" in resp.content.decode()
    assert Workflow.objects.get(pk=wf.pk).head_number == 2


def test_connecting_into_a_cycle_is_refused(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    resp = pat.post(
        f"/studio/{wf.pk}/edges/add/",
        {"source": "out", "target": "in", "kind": "data", "base_version": 1},
        follow=True,
    )
    assert "cycle" in resp.content.decode()
    assert Workflow.objects.get(pk=wf.pk).head_number == 1


def test_facts_form(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat.post(
        f"/studio/{wf.pk}/facts/",
        {
            "name": "Renamed",
            "description": "d",
            "stakes": "high",
            "audience": "internal",
            "regulated": "on",
            "base_version": 1,
        },
    )
    doc = pat.get(f"/api/workflows/{wf.pk}/").json()["document"]
    assert doc["name"] == "Renamed"
    assert doc["facts"] == {
        "personal_data": False,
        "stakes": "high",
        "audience": "internal",
        "regulated": True,
    }


def test_user_text_is_escaped_everywhere(pat, personas):
    wf = make_workflow(personas.acme, personas.pat, name=XSS)
    pat.post(f"/studio/{wf.pk}/steps/add/", {"type": "transform", "label": XSS, "base_version": 1})
    for url in (
        "/studio/",
        f"/studio/{wf.pk}/",
        f"/studio/{wf.pk}/steps/",
        f"/studio/{wf.pk}/history/",
        f"/studio/{wf.pk}/diff/?a=1&b=2",
    ):
        html = pat.get(url).content.decode()
        assert XSS not in html, url
    editor = pat.get(f"/studio/{wf.pk}/").content.decode()
    assert "\\u003Cimg" in editor  # the bootstrap JSON escapes < inside <script>


def test_history_diff_restore(pat, personas):
    wf = make_workflow(personas.acme, personas.pat)
    pat.post(
        f"/studio/{wf.pk}/steps/add/",
        {"type": "output_validator", "label": "Check schema", "node_id": "check", "base_version": 1},
    )
    pat.post(
        f"/studio/{wf.pk}/steps/llm/", {"label": "Answer better", "base_version": 2, "cfg_model": "gpt-4.1"}
    )
    history = pat.get(f"/studio/{wf.pk}/history/").content.decode()
    assert "v3" in history and "Added step check" in history
    diff = pat.get(f"/studio/{wf.pk}/diff/?a=1&b=3").content.decode()
    assert 'data-change="node-added"' in diff and "Check schema" in diff
    assert 'data-change="node-changed"' in diff and "gpt-4.1" in diff
    assert pat.post(f"/studio/{wf.pk}/versions/1/restore/").status_code == 302
    wf.refresh_from_db()
    assert wf.head_number == 4
    assert wf.versions.get(number=4).content_hash == wf.versions.get(number=1).content_hash
    same = pat.get(f"/studio/{wf.pk}/diff/?a=1&b=4").content.decode()
    assert 'data-testid="diff-empty"' in same


def test_import_page_reports_mapping(pat, personas):
    legacy = {
        "id": "wf1",
        "name": "Legacy flow",
        "description": "",
        "workflowType": "current_state",
        "version": 1,
        "metadata": {"graphVersion": 1},
        "nodes": [
            {
                "id": "a",
                "type": "skill",
                "position": {"x": 0, "y": 0},
                "data": {
                    "name": "Draft reply",
                    "autonomyLevel": 1,
                    "riskCategory": "customer_facing",
                    "runtimeTarget": "openai",
                    "modelName": "gpt-4o",
                },
            },
            {
                "id": "b",
                "type": "human",
                "position": {"x": 200, "y": 0},
                "data": {"name": "Approve", "subtype": "approval", "approverRole": "Lead"},
            },
            {"id": "c", "type": "proposal", "position": {"x": 400, "y": 0}, "data": {"name": "Idea"}},
        ],
        "edges": [{"id": "e1", "source": "a", "target": "b", "edgeType": "human", "label": ""}],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", json.dumps({"formatVersion": "1", "title": "Legacy flow"}))
        z.writestr("workflow.json", json.dumps(legacy))
    resp = pat.post("/studio/import/", {"file": SimpleUploadedFile("legacy.wfos", buf.getvalue())})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="import-result"' in html and 'data-testid="unmapped"' in html
    assert "proposal" in html.lower()
    wf = Workflow.objects.get(name="Legacy flow")
    assert wf.organisation == personas.acme


def test_import_page_refuses_garbage(pat):
    resp = pat.post("/studio/import/", {"file": SimpleUploadedFile("x.wfos", b"MZ\x90\x00 not a zip")})
    assert resp.status_code == 400
    assert 'data-testid="import-error"' in resp.content.decode()
    assert pat.post("/studio/import/", {}).status_code == 400


def test_other_organisation_gets_404_on_every_studio_page(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    gus = client_for(personas.gus)
    for url in ("", "steps/", "steps/llm/", "history/", "diff/?a=1&b=1", "export/?format=json"):
        assert gus.get(f"/studio/{wf.pk}/{url}").status_code == 404, url
    for url, data in (
        ("steps/add/", {"type": "transform", "label": "x", "base_version": 1}),
        ("steps/llm/delete/", {"base_version": 1}),
        ("edges/add/", {"source": "in", "target": "out", "kind": "data", "base_version": 1}),
        ("edges/e1/delete/", {"base_version": 1}),
        ("facts/", {"name": "x", "stakes": "low", "audience": "internal", "base_version": 1}),
        ("versions/1/restore/", {}),
        ("delete/", {}),
    ):
        assert gus.post(f"/studio/{wf.pk}/{url}", data).status_code == 404, url
    wf.refresh_from_db()
    assert wf.head_number == 1 and wf.deleted_at is None
