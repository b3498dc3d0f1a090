from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_rubric_json(client, rubric_version):
    resp = client.get("/api/psf/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["framework"] == "PSF" and body["version"] == "1.1"
    assert len(body["domains"]) == 8
    assert sum(len(d["criteria"]) for d in body["domains"]) == 40 == body["criteria_count"]
    rule = body["pass_rule"]
    mins = {code: t["min_score"] for t in rule["thresholds"] for code in t["domains"]}
    assert all(mins[f"PSF-{i}"] == 3.0 for i in range(1, 7))
    assert mins["PSF-7"] == mins["PSF-8"] == 2.0
    assert rule["forbid_zero_domain"] is True
    c = body["domains"][0]["criteria"][0]
    assert {
        "code",
        "title",
        "requirement",
        "guidance",
        "evidence",
        "levels",
        "mappings",
        "automated_checks",
    } <= set(c)
    assert len(c["levels"]) == 6


def test_unknown_version_is_json_404(client, rubric_version):
    resp = client.get("/api/psf/?version=0.1")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_oscal_catalog(client, rubric_version):
    resp = client.get("/api/psf/oscal/")
    assert resp.status_code == 200
    cat = resp.json()["catalog"]
    assert cat["metadata"]["oscal-version"].startswith("1.1")
    assert len(cat["groups"]) == 8
    controls = [c for g in cat["groups"] for c in g["controls"]]
    assert len(controls) == 40
    names = {p["name"] for p in controls[0]["parts"]}
    assert {"statement", "guidance", "assessment-objective"} <= names
    assert client.get("/api/psf/oscal/").json()["catalog"]["uuid"] == cat["uuid"]


def test_openapi_schema_and_docs(client, rubric_version):
    resp = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    schema = resp.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/psf/" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger" in docs.content.decode().lower()
    assert "cdn" not in docs.content.decode().lower()
