"""The organisation path in the browser: alice (Acme AI's admin) builds an AI inventory of three
systems (one linked to a workflow mapped from a template, whose map fills vendors and models),
sees a bad import refused row by row, runs the PAI-8 self-assessment to a posture rating, downloads
the PDF report (page 1 rendered to PNG for a look), and submits it for review; ada (assessor)
audits it, changing one level with a comment; alice sees the audited rating."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from governance.models import AISystem, Pai8Assessment
from psf.maturity import bundled_pai8
from tests.assessments.files import PDF
from tests.e2e.conftest import ARTIFACTS, sign_in

CODES = [p.code for p in bundled_pai8().all_checkpoints()]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

# Fills every checkpoint in one round trip (selects by value, text by name): 32 × 4 fields.
FILL_ALL = """(levels) => {
  for (const [code, level] of Object.entries(levels)) {
    document.getElementById(code + '-level').value = String(level);
    document.getElementById(code + '-justification').value =
      code + ': approved policy, reviewed quarterly by the AI governance board.';
    document.getElementById(code + '-evidence').value = 'Board minutes 2026-05; intranet policy page';
    document.getElementById(code + '-owner').value = 'Head of AI governance';
  }
}"""


def shot(page, name: str, *, phone: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    if phone:
        page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"pai8-{name}{'-phone' if phone else ''}.png"), full_page=True)
    if phone:
        page.set_viewport_size(DESKTOP)


def no_sideways_scroll(page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(DESKTOP)
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone ({width}px)"


def switch_to(page, email: str) -> None:
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    sign_in(page, email)


def add_system(page, **fields: str) -> None:
    page.goto("/inventory/new/")
    for name, value in fields.items():
        if name in ("status", "risk_tier", "eu_role", "eu_risk_class", "annex_iii_area", "autonomy_level"):
            page.select_option(f"#id_{name}", value)
        elif name == "workflow":
            page.get_by_label(value).check()
        else:
            page.fill(f"#id_{name}", value)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()


def test_inventory_self_assessment_pdf_and_audit(page, personas, tmp_path):
    sign_in(page, "alice@acme.example")

    # 1. a workflow mapped from a template
    page.goto("/studio/new/")
    page.fill("#id_name", "Help-centre assistant")
    page.check("input[name=template][value=rag-assistant]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/studio/\d+/$"))

    # 2. three systems; the first linked to the workflow, whose map fills vendors and models
    add_system(
        page,
        name="Help-centre bot",
        purpose="Answers customer questions from our help-centre articles.",
        business_owner="Head of Support",
        technical_owner="Platform team",
        status="production",
        risk_tier="high",
        eu_risk_class="limited",
        workflow="Help-centre assistant",
    )
    bot = AISystem.objects.get(organisation=personas.acme, name="Help-centre bot")
    assert bot.vendors and bot.models_used, "the linked map did not fill vendors and models"
    assert bot.workflows.get().name == "Help-centre assistant"
    detail = page.locator("main").inner_text()
    assert bot.vendors[0] in detail and bot.models_used[0] in detail
    add_system(
        page,
        name="CV screener",
        purpose="Ranks job applications for recruiters.",
        business_owner="Head of HR",
        status="pilot",
        risk_tier="critical",
        eu_risk_class="high_risk",
        annex_iii_area="employment",
        vendors="Acme HR Cloud",
    )
    add_system(
        page, name="Invoice reader", purpose="Reads supplier invoices.", status="idea", risk_tier="low"
    )
    # Bad input: a duplicate name is refused on the form, clearly.
    add_system(page, name="invoice reader", status="idea", risk_tier="low")
    assert page.locator(".errorlist, .form-errors").first.is_visible()
    assert "already" in page.locator("main").inner_text()
    assert AISystem.objects.filter(organisation=personas.acme).count() == 3

    page.goto("/inventory/")
    assert page.get_by_test_id("system-row").count() == 3
    assert "3 systems." in page.get_by_test_id("inventory-count").inner_text()
    shot(page, "01-inventory")
    shot(page, "01-inventory", phone=True)
    no_sideways_scroll(page)
    page.select_option("#id_risk", "critical")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/inventory/?*risk=critical*")
    assert page.get_by_test_id("system-row").count() == 1
    assert "CV screener" in page.get_by_test_id("inventory").inner_text()

    # 3. bad import: unknown column, bad enum, duplicate name — a per-row report, nothing saved
    page.goto("/inventory/import/")
    csv = (
        "name,status,risk_tier,colour\n"
        "Chat summariser,pilot,medium,blue\n"
        "Fraud scorer,live,extreme,red\n"
        "Chat summariser,idea,low,green\n"
    )
    page.set_input_files(
        "#id_file", files=[{"name": "systems.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    report = page.locator("main").inner_text()
    shot(page, "02-import-report")
    assert "colour" in page.get_by_test_id("unknown-columns").inner_text()  # named once, up front
    assert page.locator("tr.refused").count() >= 1
    assert "live" in report or "status" in report
    assert AISystem.objects.filter(organisation=personas.acme).count() == 3

    # 4. the self-assessment: a refused level, then all 32 checkpoints, then the posture
    page.goto("/governance/")
    page.get_by_role("button", name="Start a self-assessment").click()
    page.wait_for_url(re.compile(r".*/governance/self-assessments/\d+/$"))
    a = Pai8Assessment.objects.get(organisation=personas.acme)
    assert "AI use-case inventory: 3 system(s)" in page.get_by_test_id("proposals-C1.3").inner_text()
    page.select_option("#C1\\.1-level", "2")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    error = page.get_by_test_id("checkpoint-C1.1").locator(".errorlist")
    assert "needs a justification" in error.inner_text()
    page.get_by_test_id("checkpoint-C1.1").scroll_into_view_if_needed()
    shot(page, "03-draft")
    shot(page, "03-draft", phone=True)
    no_sideways_scroll(page)
    # evidence: the inventory proposal attached in one click, and a file uploaded on C1.1
    page.get_by_test_id("attach-C1.3-inventory").click()
    page.wait_for_url(re.compile(r".*/governance/self-assessments/\d+/#cp-C1\.3$"))
    attached = page.get_by_test_id("evidence-C1.3").inner_text()
    assert "Help-centre bot" in attached and "CV screener" in attached and "Invoice reader" in attached
    page.get_by_test_id("add-evidence-C1.1").click()
    page.select_option("#id_kind", "file")
    page.set_input_files(
        "#id_file", files=[{"name": "ai-policy.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.fill("#id_title", "AI policy (board-approved)")
    shot(page, "03b-add-evidence")
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(r".*/governance/self-assessments/\d+/#cp-C1\.1$"))
    assert "AI policy (board-approved)" in page.get_by_test_id("evidence-C1.1").inner_text()
    page.goto(f"/governance/self-assessments/{a.pk}/")  # without the #cp-… anchor of the redirect
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.get_by_test_id("checkpoint-C1.1").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "pai8-03c-evidence.png"))
    page.set_viewport_size(DESKTOP)
    levels = {code: (1 if code.startswith("C3") else 2 if code < "C6" else 3) for code in CODES}
    page.evaluate(FILL_ALL, levels)
    page.get_by_role("button", name="Save and rate the posture").click()
    page.wait_for_url("**/governance/")
    a.refresh_from_db()
    assert a.status == Pai8Assessment.COMPLETED and a.posture_level == 1
    posture = page.get_by_test_id("posture").inner_text()
    assert "Posture: L1" in posture and "self-assessed" in posture
    shot(page, "04-governance")
    shot(page, "04-governance", phone=True)
    no_sideways_scroll(page)

    # 5. the PDF report: downloaded, page 1 rendered for a look
    with page.expect_download() as dl:
        page.get_by_role("link", name="Report (PDF)").click()
    pdf = tmp_path / "report.pdf"
    dl.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(ARTIFACTS / "pai8-05-report"),
            ],
            check=True,
        )
        assert list(ARTIFACTS.glob("pai8-05-report*.png"))

    # 6. submitted for an audited rating
    page.get_by_role("button", name="Submit for an audited rating").click()
    page.wait_for_url("**/governance/")
    assert "waiting for an assessor" in page.get_by_test_id("posture").inner_text()

    # 7. ada audits: confirms every level but one, which she changes with a comment
    switch_to(page, "ada@workflowos.example")
    page.goto("/review/pai8/")
    page.get_by_role("row", name=re.compile(a.reference)).get_by_role("link", name="Audit").click()
    page.wait_for_url(f"**/review/pai8/{a.pk}/")
    assert "AI policy (board-approved)" in page.get_by_test_id("audit-evidence-C1.1").inner_text()
    with page.expect_download() as ev:
        page.get_by_test_id("audit-evidence-C1.1").get_by_test_id("evidence-download").click()
    assert Path(ev.value.path()).read_bytes() == PDF
    page.select_option("#C3\\.2-level", "0")
    page.get_by_role("button", name="Record the audited rating").click()
    page.wait_for_load_state()
    assert "say why the level changed" in page.get_by_test_id("audit-C3.2").inner_text()
    page.fill("#C3\\.2-comment", "No incident drill was run this year.")
    page.get_by_role("button", name="Record the audited rating").click()
    page.wait_for_url("**/review/pai8/")
    assert f"{a.reference} audited" in page.locator("main").inner_text()
    a.refresh_from_db()
    assert a.status == Pai8Assessment.AUDITED and a.auditor == personas.ada
    assert a.audited_posture_level == 0

    # 8. alice sees the audited rating, and the assessor's comment on the answers
    switch_to(page, "alice@acme.example")
    page.goto("/governance/")
    posture = page.get_by_test_id("posture").inner_text()
    assert "audited by Ada Assessor" in posture and "Posture: L0" in posture
    shot(page, "06-audited")
    page.get_by_role("link", name="Answers").click()
    cp = page.get_by_test_id("checkpoint-C3.2").inner_text()
    assert "audited L0" in cp and "No incident drill was run this year." in cp
