from __future__ import annotations

import copy
import json

import pytest

from tests.studio.helpers import make_workflow, small_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, personas):
    return client_for(personas.pat)


def test_create_get_list(api, personas):
    resp = api.post("/api/workflows/", small_doc(), content_type="application/json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["head_version"] == 1 and len(body["content_hash"]) == 64
    got = api.get(f"/api/workflows/{body['id']}/").json()
    assert got["document"]["nodes"][1]["config"]["model_version"] == "2024-08-06"
    listing = api.get("/api/workflows/?q=support").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]


def test_invalid_document_gets_paths(api):
    doc = small_doc()
    doc["nodes"][1]["config"]["model_version"] = 3
    doc["nodes"].append({"id": "in", "type": "user_input", "label": "dup"})
    doc["nodes"].append({"id": "x", "type": "quantum_step", "label": "?"})
    doc["edges"].append({"from": "llm", "to": "nowhere"})
    resp = api.post("/api/workflows/", doc, content_type="application/json")
    assert resp.status_code == 400
    paths = {e["path"]: e["message"] for e in resp.json()["errors"]}
    assert "nodes[1].config.model_version" in paths
    assert "nodes[3].id" in paths and "duplicate" in paths["nodes[3].id"]
    assert "nodes[4].type" in paths
    assert "edges[2].to" in paths


def test_cycle_over_data_edges_is_refused(api):
    doc = small_doc()
    doc["edges"].append({"from": "out", "to": "in", "kind": "data"})
    resp = api.post("/api/workflows/", doc, content_type="application/json")
    assert resp.status_code == 400
    assert "cycle" in resp.json()["errors"][0]["message"]
    doc["edges"][-1]["kind"] = "escalation"  # loops back through escalation are fine
    assert api.post("/api/workflows/", doc, content_type="application/json").status_code == 201


def test_bad_json_and_wrong_shapes_are_400_json(api):
    resp = api.post("/api/workflows/", "{not json", content_type="application/json")
    assert resp.status_code == 400 and "message" in resp.json()
    resp = api.post("/api/workflows/", [1, 2], content_type="application/json")
    assert resp.status_code == 400


def test_save_versions_and_conflict(api, personas):
    wf = make_workflow(personas.acme, personas.pat)
    doc = small_doc()
    doc["nodes"][1]["label"] = "Answer v2"
    resp = api.put(
        f"/api/workflows/{wf.pk}/", {"document": doc, "base_version": 1}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["head_version"] == 2
    # Saving the same content again creates nothing new.
    resp = api.put(
        f"/api/workflows/{wf.pk}/", {"document": doc, "base_version": 2}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["head_version"] == 2
    # A save based on version 1 is refused; nothing is stored.
    stale = copy.deepcopy(doc)
    stale["nodes"][1]["label"] = "Someone else's edit"
    resp = api.put(
        f"/api/workflows/{wf.pk}/", {"document": stale, "base_version": 1}, content_type="application/json"
    )
    assert resp.status_code == 409
    assert "Version 2 was saved by pat@acme.example" in resp.json()["message"]
    assert (
        api.get(f"/api/workflows/{wf.pk}/").json()["document"]["nodes"][0]["label"] != "Someone else's edit"
    )
    versions = api.get(f"/api/workflows/{wf.pk}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    v1 = api.get(f"/api/workflows/{wf.pk}/versions/1/").json()
    assert {n["id"]: n["label"] for n in v1["document"]["nodes"]}["llm"] == "Answer"


def test_content_hash_is_sha256_of_canonical_json(api, personas):
    import hashlib

    from lib.canonical import canonical_json

    wf = make_workflow(personas.acme, personas.pat)
    v = api.get(f"/api/workflows/{wf.pk}/versions/1/").json()
    assert hashlib.sha256(canonical_json(v["document"]).encode()).hexdigest() == v["content_hash"]


def test_delete_hides_the_workflow(api, personas):
    wf = make_workflow(personas.acme, personas.pat)
    assert api.delete(f"/api/workflows/{wf.pk}/").status_code == 204
    assert api.get(f"/api/workflows/{wf.pk}/").status_code == 404


def test_export_formats(api, personas):
    wf = make_workflow(personas.acme, personas.pat)
    j = api.get(f"/api/workflows/{wf.pk}/export/?format=json")
    assert j.status_code == 200 and json.loads(j.content)["format"] == "workflowos.workflow/v1"
    m = api.get(f"/api/workflows/{wf.pk}/export/?format=mermaid")
    assert m.status_code == 200 and m.content.decode().startswith("flowchart")
    b = api.get(f"/api/workflows/{wf.pk}/export/?format=bpmn")
    assert b.status_code == 200 and b"definitions" in b.content
    assert api.get(f"/api/workflows/{wf.pk}/export/?format=docx").status_code == 400


def test_import_json_body_and_file(api, personas):
    resp = api.post("/api/workflows/import/", small_doc("Imported"), content_type="application/json")
    assert resp.status_code == 201, resp.json()
    assert resp.json()["source_format"] and isinstance(resp.json()["unmapped"], list)
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile(
        "wf.json", json.dumps(small_doc("From file")).encode(), content_type="application/json"
    )
    resp = api.post("/api/workflows/import/", {"file": f})
    assert resp.status_code == 201 and resp.json()["name"] == "From file"
    junk = SimpleUploadedFile("wf.json", b"\x00\x01garbage", content_type="application/json")
    resp = api.post("/api/workflows/import/", {"file": junk})
    assert resp.status_code == 400 and resp.json()["message"]


def test_oversized_body_is_413(api):
    doc = small_doc()
    doc["description"] = "x" * 100
    big = json.dumps(doc).replace('"x', '"' + "y" * (5 * 1024 * 1024), 1)
    resp = api.generic("POST", "/api/workflows/", big, content_type="application/json")
    assert resp.status_code == 413


def test_too_many_nodes_is_refused_quickly(api):
    doc = small_doc()
    doc["nodes"] = [{"id": f"n{i}", "type": "transform", "label": "t"} for i in range(5001)]
    doc["edges"] = []
    resp = api.post("/api/workflows/", doc, content_type="application/json")
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["path"] == "nodes"


def test_create_from_template(api):
    resp = api.post(
        "/api/workflows/", {"template": "rag-assistant", "name": "Our RAG"}, content_type="application/json"
    )
    assert resp.status_code == 201
    assert resp.json()["name"] == "Our RAG" and len(resp.json()["document"]["nodes"]) > 3
    resp = api.post("/api/workflows/", {"template": "nope"}, content_type="application/json")
    assert resp.status_code == 400


def test_schema_and_catalogue_are_public(client):
    schema = client.get("/api/schemas/workflow-v1.json").json()
    assert schema["title"] == "workflowos.workflow/v1"
    assert "llm_call" in schema["$defs"]["Node"]["properties"]["type"]["enum"]
    cat = client.get("/api/node-types/").json()
    types = {t["type"]: t for t in cat["types"]}
    assert {
        "user_input",
        "llm_call",
        "pii_redactor",
        "human_review",
        "circuit_breaker",
        "side_effect",
    } <= set(types)
    assert "PSF-3" in types["pii_redactor"]["domains"]


def test_token_auth_and_organisation_header(client, personas):
    from accounts.services import api_token_issue

    token = api_token_issue(user=personas.mia)
    wf = make_workflow(personas.globex, personas.gus, "Globex flow")
    h = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(f"/api/workflows/{wf.pk}/", **h).status_code == 404  # Acme is mia's default
    assert client.get(f"/api/workflows/{wf.pk}/", HTTP_X_ORGANISATION="globex", **h).status_code == 200


def test_another_organisation_sees_nothing(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    gus = client_for(personas.gus)
    for method, url in [
        ("GET", f"/api/workflows/{wf.pk}/"),
        ("PUT", f"/api/workflows/{wf.pk}/"),
        ("DELETE", f"/api/workflows/{wf.pk}/"),
        ("GET", f"/api/workflows/{wf.pk}/versions/"),
        ("GET", f"/api/workflows/{wf.pk}/versions/1/"),
        ("GET", f"/api/workflows/{wf.pk}/export/?format=json"),
    ]:
        resp = gus.generic(method, url, json.dumps(small_doc()), content_type="application/json")
        assert resp.status_code == 404, (method, url, resp.status_code)
    assert gus.get("/api/workflows/").json()["count"] == 0
