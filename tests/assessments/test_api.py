from __future__ import annotations

import pytest

from assessments.models import Assessment
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db


def test_organisation_lists_its_assessments(personas, client_for):
    a = h.submitted(personas)
    data = client_for(personas.pat).get("/api/assessments/").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["reference"] == a.reference and row["status"] == "submitted" and row["sla"]["days_left"] == 5
    assert client_for(personas.gus).get("/api/assessments/").json()["count"] == 0
    assert client_for(personas.ada).get("/api/assessments/").status_code == 403
    assert client_for(None).get("/api/assessments/").status_code in (401, 403)


def test_detail_for_members_and_assigned_assessor(personas, client_for):
    a = h.submitted(personas)
    url = f"/api/assessments/{a.pk}/"
    body = client_for(personas.pat).get(url).json()
    assert body["scope_workflows"][0]["name"] == "Help-centre assistant"
    assert {e["kind"] for e in body["evidence"]} == {"link", "file"}
    file_row = next(e for e in body["evidence"] if e["kind"] == "file")
    assert len(file_row["sha256"]) == 64 and file_row["download_url"].endswith("/download/")
    assert "storage_name" not in str(body)
    assert body["submissions"][0]["number"] == 1
    assert client_for(personas.ada).get(url).status_code == 200
    assert client_for(personas.gus).get(url).status_code == 404
    assert client_for(personas.gus).get("/api/assessments/999999/").status_code == 404


def test_review_queue_json(personas, client_for):
    a = h.submitted(personas)
    data = client_for(personas.ada).get("/api/review-queue/?status=submitted&assignee=me").json()
    assert [r["reference"] for r in data["results"]] == [a.reference]
    assert data["results"][0]["url"].endswith(f"/review/{a.pk}/")
    Assessment.objects.filter(pk=a.pk).update(review_due="2020-01-06")
    overdue = client_for(personas.ada).get("/api/review-queue/?overdue=1&status=open").json()
    assert overdue["count"] == 1 and overdue["results"][0]["sla"]["overdue"] is True
    assert client_for(personas.pat).get("/api/review-queue/").status_code == 403
    bad = client_for(personas.ada).get("/api/review-queue/?limit=x")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "limit"


def test_schema_documents_the_endpoints(client_for, personas):
    schema = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/assessments/", "/api/assessments/{assessment_id}/", "/api/review-queue/"):
        assert path in schema
    assert "AssessmentDetail" in schema
