from __future__ import annotations

import pytest

from studio.models import Analysis
from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db


def test_api_analysis_latest_and_version(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    c = client_for(personas.pat)
    resp = c.post(f"/api/workflows/{wf.pk}/analysis/")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["version"] == 1 and body["schema"] == "workflowos.analysis/v1"
    assert {d["code"] for d in body["domains"]} == {f"PSF-{i}" for i in range(1, 9)}
    assert body["passed"] is False and body["reasons"]
    missing = [f for f in body["findings"] if f["status"] == "missing"]
    assert missing and all(f["remediation"] for f in missing)
    assert all(
        set(f)
        >= {
            "rule_id",
            "criterion",
            "domain",
            "severity",
            "status",
            "node_ids",
            "paths",
            "expected",
            "actual",
            "remediation",
        }
        for f in body["findings"]
    )
    assert c.post(f"/api/workflows/{wf.pk}/analysis/?version=9").status_code == 404
    assert c.post(f"/api/workflows/{wf.pk}/analysis/?version=x").status_code == 400


def test_reanalysing_an_unchanged_version_reuses_the_stored_result(
    client_for, personas, django_assert_max_num_queries
):
    wf = make_workflow(personas.acme, personas.pat)
    c = client_for(personas.pat)
    first = c.post(f"/api/workflows/{wf.pk}/analysis/").json()
    assert Analysis.objects.count() == 1
    second = c.post(f"/api/workflows/{wf.pk}/analysis/").json()
    assert Analysis.objects.count() == 1
    assert first == second


def test_analysis_page_shows_chart_findings_and_highlight_links(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    html = client_for(personas.pat).get(f"/studio/{wf.pk}/analysis/").content.decode()
    assert 'data-testid="domain-chart"' in html and "<svg" in html
    assert 'id="PSF-1"' in html and 'id="PSF-8"' in html
    assert f"/studio/{wf.pk}/?highlight=" in html
    assert 'data-testid="coverage"' in html


def test_other_organisation_cannot_analyse(client_for, personas):
    wf = make_workflow(personas.acme, personas.pat)
    gus = client_for(personas.gus)
    assert gus.post(f"/api/workflows/{wf.pk}/analysis/").status_code == 404
    assert gus.get(f"/studio/{wf.pk}/analysis/").status_code == 404
    assert Analysis.objects.count() == 0


def test_seeded_demo_workflows_have_stored_analyses(personas):
    from studio import demo
    from studio.models import Workflow

    demo.seed([])
    acme = Workflow.objects.filter(organisation=personas.acme)
    assert acme.count() == 3
    for wf in Workflow.objects.all():
        assert Analysis.objects.filter(
            content_hash=wf.versions.get(number=wf.head_number).content_hash
        ).exists()
