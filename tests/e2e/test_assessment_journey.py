"""The Deployment Safety Assessment in the browser, with three personas: alice (Acme AI admin)
applies and submits, pat (practitioner) maps a workflow from a template and attaches evidence,
ada (assessor) accepts, scopes, claims, scores and decides. Then a fail: the gap report (page
and PDF) and the free reassessment."""

from __future__ import annotations

import re

import pytest

from assessments.models import Assessment
from tests.assessments import helpers as h
from tests.assessments.files import PDF
from tests.e2e.conftest import ARTIFACTS, sign_in

CRITERIA = [f"PSF-{d}.{c}" for d in range(1, 9) for c in range(1, 6)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dsa-{name}.png"), full_page=True)


def switch_to(page, email: str) -> None:
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    sign_in(page, email)


def score_all(page, score_of) -> None:
    for code in CRITERIA:
        page.locator(f"[data-testid='score-{code}']").select_option(str(score_of(code)))
        page.locator(f"[name='comment__{code}']").fill(f"{code}: checked against the level descriptors.")


def test_apply_scope_map_evidence_submit_claim_score_pass(page, personas, outbox):
    page.on("dialog", lambda d: d.accept())  # "Submit now?" confirmation

    # 1. alice applies
    sign_in(page, "alice@acme.example")
    page.goto("/assessments/")
    page.get_by_test_id("apply-link").click()
    page.wait_for_url("**/assessments/apply/")
    assert "$11,995.50" in page.get_by_test_id("pricing").inner_text()
    page.fill(
        "#id_systems_description",
        "Customer help-centre assistant: retrieval over our articles, GPT-4o, escalation to agents.",
    )
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(re.compile(r".*/assessments/\d+/$"))
    a = Assessment.objects.get(organisation=personas.acme)
    assert page.get_by_test_id("status").first.inner_text() == "Applied"
    assert "business day" in page.get_by_test_id("due").first.inner_text()
    shot(page, "01-applied")

    # 2. ada accepts from the queue and records the scope
    switch_to(page, "ada@workflowos.example")
    page.goto("/review/?status=open")
    row = page.locator(f"tr[data-ref='{a.reference}']")
    assert "Applied" in row.inner_text() and "business day" in row.inner_text()
    shot(page, "02-queue-application")
    row.get_by_test_id("accept").click()
    page.wait_for_url(f"**/review/{a.pk}/scope/")
    page.fill("#id_timeline", "Scoping call held; evidence within two weeks.")
    page.get_by_test_id("checklist-PSF-5").locator("summary").click()
    page.locator("[name='note__PSF-5.3']").fill("The on-call runbook as PDF")
    shot(page, "03-scope")
    page.get_by_test_id("save-scope").click()
    page.wait_for_url(f"**/review/{a.pk}/")
    a.refresh_from_db()
    assert a.status == Assessment.PREPARING

    # 3. pat maps a workflow from a DSA template and attaches evidence
    switch_to(page, "pat@acme.example")
    page.goto(f"/assessments/{a.pk}/evidence/")
    page.get_by_test_id("map-form").locator("select").select_option("rag-assistant")
    page.get_by_test_id("map-form").locator("input[name=name]").fill("Help-centre assistant")
    page.get_by_role("button", name="Map in the studio").click()
    page.wait_for_url(re.compile(r".*/studio/\d+/$"))
    page.goto(f"/assessments/{a.pk}/evidence/")
    assert "Help-centre assistant" in page.get_by_test_id("scope-workflows").inner_text()

    page.get_by_test_id("attach-PSF-5.3").click()
    page.check("input[name=kind][value=file]")
    page.set_input_files(
        "#id_file", files=[{"name": "on-call-runbook.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.fill("#id_title", "On-call runbook")
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(rf".*/assessments/{a.pk}/evidence/.*"))
    assert "On-call runbook" in page.get_by_test_id("criterion-PSF-5.3").inner_text()

    page.get_by_test_id("attach-PSF-4.1").click()
    page.check("input[name=kind][value=link]")
    page.fill("#id_url", "https://grafana.acme.example/d/assistant")
    page.fill("#id_title", "Production dashboard")
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(rf".*/assessments/{a.pk}/evidence/.*"))

    page.get_by_test_id("attach-PSF-1.1").click()
    page.check("input[name=kind][value=workflow]")
    page.locator("#id_ref_workflow").select_option(index=1)
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(rf".*/assessments/{a.pk}/evidence/.*"))
    assert "Help-centre assistant v" in page.get_by_test_id("criterion-PSF-1.1").inner_text()
    shot(page, "04-evidence")

    # 4. alice submits
    switch_to(page, "alice@acme.example")
    page.goto(f"/assessments/{a.pk}/")
    page.get_by_test_id("submit-assessment").click()
    page.wait_for_load_state()
    assert "Submitted" in page.get_by_test_id("status").first.inner_text()
    assert "business days left" in page.get_by_test_id("due").first.inner_text()
    shot(page, "05-submitted")

    # 5. ada claims, scores every criterion, sees the computed decision and confirms it
    switch_to(page, "ada@workflowos.example")
    page.goto("/review/")
    page.locator(f"tr[data-ref='{a.reference}']").get_by_test_id("claim").click()
    page.wait_for_url(f"**/review/{a.pk}/")
    assert "On-call runbook" in page.content()
    score_all(page, lambda code: 3 if code.startswith("PSF-8") else 4)
    shot(page, "06-scoring")
    page.get_by_test_id("save-and-decide").click()
    page.wait_for_url(f"**/review/{a.pk}/decide/")
    assert "PASS" in page.get_by_test_id("computed-decision").inner_text()
    shot(page, "07-decision")
    page.get_by_test_id("confirm-decision").click()
    page.wait_for_url(f"**/review/{a.pk}/")
    assert "Passed" in page.get_by_test_id("outcome").inner_text()
    a.refresh_from_db()
    assert a.status == Assessment.PASSED and a.domain_scores["PSF-8"] == 3.0
    assert any("passed" in m.subject and "alice@acme.example" in m.to for m in outbox())
    try:
        from trustmarks.models import TrustMark
    except ImportError:
        pass
    else:
        assert TrustMark.objects.filter(assessment=a).exists()

    # the organisation sees the outcome and the activity feed
    switch_to(page, "alice@acme.example")
    page.goto("/dashboard/")
    assert "Passed" in page.get_by_test_id("assessment-panel").inner_text()
    shot(page, "08-dashboard")


def test_fail_gives_a_gap_report_and_a_reassessment(page, personas):
    a = h.in_review(personas)
    sign_in(page, "ada@workflowos.example")
    page.goto(f"/review/{a.pk}/")
    score_all(page, lambda code: 1 if code.startswith("PSF-4") else 4)
    page.get_by_test_id("save-and-decide").click()
    page.wait_for_url(f"**/review/{a.pk}/decide/")
    assert "FAIL" in page.get_by_test_id("computed-decision").inner_text()
    assert "PSF-4 scored 1.0" in page.get_by_test_id("computed-decision").inner_text()
    page.get_by_test_id("confirm-decision").click()
    page.wait_for_url(f"**/review/{a.pk}/")
    assert "Failed" in page.get_by_test_id("outcome").inner_text()

    switch_to(page, "alice@acme.example")
    page.goto(f"/assessments/{a.pk}/")
    shot(page, "09-failed")
    page.get_by_test_id("gap-report-link").click()
    page.wait_for_url(f"**/assessments/{a.pk}/gap-report/")
    assert "Confidential" in page.get_by_test_id("confidential").inner_text()
    assert page.get_by_test_id("gap-PSF-4.1").count() == 1 and page.get_by_test_id("gap-PSF-1.1").count() == 0
    shot(page, "10-gap-report")
    pdf = page.request.get(f"/assessments/{a.pk}/gap-report.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    page.goto(f"/assessments/{a.pk}/")
    page.get_by_test_id("open-reassessment").click()
    page.wait_for_url(re.compile(r".*/assessments/\d+/$"))
    new = Assessment.objects.get(reassessment_of=a)
    assert page.url.endswith(f"/assessments/{new.pk}/")
    assert "Mapping & evidence" in page.get_by_test_id("status").first.inner_text()
    shot(page, "11-reassessment")
