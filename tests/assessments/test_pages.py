"""The assessment pages driven with plain forms (no JavaScript), as each persona."""

from __future__ import annotations

import pytest

from assessments.models import Assessment, EvidenceItem
from tests.assessments import helpers as h
from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db


def test_apply_page_shows_prices_and_sla(personas, client_for):
    c = client_for(personas.alice)
    page = c.get("/assessments/apply/").content.decode()
    assert "$7,997" in page and "$11,995.50" in page and "+50 % surcharge" in page
    resp = c.post(
        "/assessments/apply/",
        {"systems_description": "Our support bot", "size_tier": "mid_market", "expedited": "on"},
    )
    a = Assessment.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/assessments/{a.pk}/"
    assert a.expedited
    detail = c.get(resp["Location"]).content.decode()
    assert "Waiting for an assessor" in detail and "business day" in detail


def test_apply_form_errors_are_shown(personas, client_for):
    resp = client_for(personas.alice).post(
        "/assessments/apply/", {"systems_description": "", "size_tier": "mid_market"}
    )
    assert resp.status_code == 400 and "This field is required" in resp.content.decode()


def test_practitioner_cannot_apply(personas, client_for):
    assert client_for(personas.pat).get("/assessments/apply/").status_code == 403


def test_scope_page_records_scope_and_checklist(personas, client_for):
    a = h.applied(personas)
    wf = make_workflow(personas.acme, personas.pat, "Refund agent")
    ada = client_for(personas.ada)
    assert ada.post(f"/review/{a.pk}/accept/").status_code == 302
    page = ada.get(f"/review/{a.pk}/scope/").content.decode()
    assert 'name="evidence__PSF-1.1" value="workflow_map" checked' in page
    data = {
        "scope_summary": "Refund agent only",
        "workflows": [wf.pk],
        "timeline": "Two weeks",
        "target_date": "",
    }
    data["evidence__PSF-1.1"] = ["workflow_map", "log_sample"]
    data["note__PSF-1.1"] = "Show the injection filter config"
    resp = ada.post(f"/review/{a.pk}/scope/", data)
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.status == Assessment.PREPARING and list(a.scope_workflows.all()) == [wf]
    row = next(r for r in a.checklist if r["criterion"] == "PSF-1.1")
    assert row == {
        "criterion": "PSF-1.1",
        "evidence": ["workflow_map", "log_sample"],
        "note": "Show the injection filter config",
    }
    assert len(a.checklist) == 40


def test_evidence_workspace_and_link_and_workflow_evidence(personas, client_for):
    a = h.preparing(personas)
    pat = client_for(personas.pat)
    page = pat.get(f"/assessments/{a.pk}/evidence/").content.decode()
    assert "Help-centre assistant" in page and "PSF-8.5" in page
    assert "not analysed yet" in page or "details</a>" in page
    resp = pat.post(
        f"/assessments/{a.pk}/evidence/add/",
        {"criterion": "PSF-4.1", "kind": "link", "url": "https://grafana.example/d/1", "title": "Dashboard"},
    )
    assert resp.status_code == 302
    version = a.scope_workflows.get().versions.get()
    resp = pat.post(
        f"/assessments/{a.pk}/evidence/add/",
        {"criterion": "PSF-1.1", "kind": "workflow", "ref_workflow": str(version.pk)},
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    item = EvidenceItem.objects.get(assessment=a, kind="workflow")
    assert item.ref_id == version.pk and "Help-centre assistant v1" in item.title
    detail = pat.get(f"/assessments/{a.pk}/evidence/{item.pk}/").content.decode()
    assert "llm_call" in detail
    bad = pat.post(
        f"/assessments/{a.pk}/evidence/add/",
        {"criterion": "PSF-4.1", "kind": "link", "url": "javascript:alert(1)"},
    )
    assert bad.status_code == 400 and "https://" in bad.content.decode()


def test_evidence_of_another_organisations_workflow_is_refused(personas, client_for):
    a = h.preparing(personas)
    foreign = make_workflow(personas.globex, personas.gus, "Globex secret").versions.get()
    resp = client_for(personas.pat).post(
        f"/assessments/{a.pk}/evidence/add/",
        {"criterion": "PSF-1.1", "kind": "workflow", "ref_workflow": str(foreign.pk)},
    )
    assert resp.status_code == 400
    assert not EvidenceItem.objects.filter(assessment=a).exists()


def test_map_from_template_adds_to_scope(personas, client_for):
    a = h.preparing(personas)
    resp = client_for(personas.pat).post(
        f"/assessments/{a.pk}/scope/map/", {"template": "rag-assistant", "name": "Docs assistant"}
    )
    assert resp.status_code == 302 and resp["Location"].startswith("/studio/")
    assert a.scope_workflows.filter(name="Docs assistant", template_slug="rag-assistant").exists()


def test_submit_button_and_illegal_post_never_500(personas, client_for):
    a = h.with_evidence(personas, h.preparing(personas))
    alice = client_for(personas.alice)
    resp = alice.post(f"/assessments/{a.pk}/submit/", follow=True)
    assert "frozen and sent for review" in resp.content.decode()
    again = alice.post(f"/assessments/{a.pk}/submit/", follow=True)
    assert again.status_code == 200 and "cannot be submitted now" in again.content.decode()
    assert client_for(personas.pat).post(f"/assessments/{a.pk}/submit/").status_code == 403


def test_review_scoring_and_decision_pages(personas, client_for):
    a = h.submitted(personas)
    ada = client_for(personas.ada)
    queue = ada.get("/review/").content.decode()
    assert (
        a.reference in queue and "business days left" in queue and f'action="/review/{a.pk}/claim/"' in queue
    )
    assert ada.post(f"/review/{a.pk}/claim/").status_code == 302
    page = ada.get(f"/review/{a.pk}/").content.decode()
    assert 'name="score__PSF-8.5"' in page and "Incident runbook" in page
    data = {f"score__PSF-{d}.{c}": "4" for d in range(1, 9) for c in range(1, 6)}
    data |= {f"comment__PSF-{d}.{c}": "ok" for d in range(1, 9) for c in range(1, 6)}
    data["score__PSF-7.2"] = "0"
    resp = ada.post(f"/review/{a.pk}/scores/", {**data, "decide": "1"})
    assert resp.status_code == 302 and resp["Location"].endswith("/decide/")
    decide = ada.get(f"/review/{a.pk}/decide/").content.decode()
    assert "The pass rule gives: PASS" in decide  # PSF-7 mean 3.2 ≥ 2.0
    override = ada.post(f"/review/{a.pk}/decide/", {"outcome": "fail", "override_reason": ""})
    assert override.status_code == 400 and "override" in override.content.decode()
    done = ada.post(f"/review/{a.pk}/decide/", {"outcome": "pass", "override_reason": ""})
    assert done.status_code == 302
    a.refresh_from_db()
    assert a.status == Assessment.PASSED
    org_page = client_for(personas.pat).get(f"/assessments/{a.pk}/").content.decode()
    assert "Passed" in org_page and "PSF-7" in org_page


def test_invalid_score_value_is_refused(personas, client_for):
    a = h.in_review(personas)
    resp = client_for(personas.ada).post(f"/review/{a.pk}/scores/", {"score__PSF-1.1": "9"}, follow=True)
    assert "whole number from 0 to 5" in resp.content.decode()


def test_queue_filters_and_htmx_partial(personas, client_for):
    h.submitted(personas)
    ada = client_for(personas.ada)
    assert "queue-row" in ada.get("/review/?status=submitted&assignee=me&sort=-due").content.decode()
    assert "Nothing matches" in ada.get("/review/?status=submitted&overdue=1").content.decode()
    assert "Nothing matches" in ada.get("/review/?status=submitted&expedited=1").content.decode()
    assert "Nothing matches" in ada.get("/review/?status=submitted&assignee=none").content.decode()
    partial = ada.get("/review/?status=open", headers={"HX-Request": "true"}).content.decode()
    assert "<table" in partial and "<html" not in partial
    assert ada.get("/review/?status=bogus&sort=bogus&assignee=x").status_code == 200


def test_dashboard_panels_and_nav(personas, client_for):
    h.submitted(personas)
    alice = client_for(personas.alice).get("/dashboard/").content.decode()
    assert (
        "Deployment Safety Assessment" in alice
        and 'href="/assessments/"' in alice
        and "submitted the evidence" in alice
    )
    ada = client_for(personas.ada).get("/dashboard/").content.decode()
    assert "submissions waiting" in ada and 'href="/review/"' in ada


def test_clarification_through_the_pages(personas, client_for):
    a = h.in_review(personas)
    client_for(personas.ada).post(
        f"/review/{a.pk}/clarify/", {"questions": "Please add the access-control doc."}
    )
    a.refresh_from_db()
    assert a.status == Assessment.CLARIFICATION
    clar = a.clarifications.get()
    pat = client_for(personas.pat)
    assert "Please add the access-control doc." in pat.get(f"/assessments/{a.pk}/").content.decode()
    pat.post(f"/assessments/{a.pk}/clarifications/{clar.pk}/answer/", {"answer": "Added under PSF-7.1"})
    client_for(personas.alice).post(f"/assessments/{a.pk}/submit/")
    a.refresh_from_db()
    assert a.status == Assessment.IN_REVIEW and a.submissions.count() == 2
