"""Browser: walk the main pages under the real Content-Security-Policy and fail on any violation.

Chromium reports every refused inline script, style attribute, eval or foreign source as a console
message ("Refused to … because it violates the following Content Security Policy directive"); a
``securitypolicyviolation`` listener, injected by the browser driver (not subject to the page's
policy), reports the same events once more so nothing slips by as a non-console report.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Refused to load " + e.blockedURI + " (Content Security Policy: " + e.violatedDirective + ")");
});
"""


@pytest.fixture
def violations(page: Any) -> list[str]:
    seen: list[str] = []

    def record(msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            seen.append(f"{page.url}: {text}")

    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", record)
    return seen


@pytest.fixture
def data(personas: Any, rubric_version: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    from assessments import services as assessment_services
    from simulations.services import simulation_execute, simulation_start
    from studio.services import workflow_from_template
    from tests.assessments import helpers as h
    from tests.trustmarks.helpers import issue_mark

    settings.MEDIA_ROOT = tmp_path / "files"
    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Help-centre assistant"
    )
    run = simulation_start(workflow=wf, user=personas.pat, n=2000, seed=7, enqueue=False)
    simulation_execute(run_id=run.pk)
    failed = h.in_review(personas)
    h.score_all(failed, personas.ada, h.failing_scores())
    assessment_services.assessment_decide(assessment=failed, actor=personas.ada, outcome="fail")
    mark = issue_mark(personas, rubric_version, company="Verified Co")
    return {"wf": wf.pk, "run": run.pk, "failed": failed.pk, "mark": mark.mark_id}


def visit(page: Any, url: str, ready: str | None = None) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), url
    page.wait_for_load_state("load")
    if ready:
        page.wait_for_selector(ready)


def test_main_pages_run_without_a_policy_violation(page: Any, violations: list[str], data: dict[str, Any]):
    wf, run = data["wf"], data["run"]
    # Public pages.
    visit(page, "/")
    visit(page, "/psf/")
    visit(page, f"/verify/{data['mark']}")
    visit(page, "/api/docs/", ".swagger-ui .info")
    page.locator(".opblock-summary").first.click()  # expand an operation: rendering under the CSP
    page.wait_for_selector(".opblock-body")
    visit(page, "/accounts/sign-in/")

    # A practitioner: dashboard, studio editor with a saved workflow, analysis, simulations.
    sign_in(page, "pat@acme.example")
    page.wait_for_url("**/dashboard/")
    visit(page, "/dashboard/")
    visit(page, "/studio/")
    visit(page, f"/studio/{wf}/", "#editor[data-ready=true]")
    page.locator(".drawflow-node").first.click()  # select a step: the inspector opens
    page.get_by_role("button", name="Auto-layout").click()
    page.wait_for_timeout(300)  # let the layout's transitions run
    visit(page, f"/studio/{wf}/analysis/")
    visit(page, f"/studio/{wf}/simulations/")
    visit(page, f"/studio/{wf}/simulations/{run}/", "[data-testid=verdict]")
    visit(page, "/evidence/")

    # The organisation admin's assessment pages, the gap report included.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "alice@acme.example")
    visit(page, "/assessments/")
    visit(page, f"/assessments/{data['failed']}/")
    visit(page, f"/assessments/{data['failed']}/evidence/")
    visit(page, f"/assessments/{data['failed']}/gap-report/")

    # The assessor's side.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "ada@workflowos.example")
    visit(page, "/review/")
    visit(page, f"/review/{data['failed']}/")
    page.screenshot(path=str(ARTIFACTS / "csp-walk.png"), full_page=True)
    assert not violations, "\n".join(violations)


def test_admin_pages_run_without_a_policy_violation(page: Any, violations: list[str], personas: Any):
    from django.conf import settings

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "root@workflowos.example")
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    visit(page, "/admin/accounts/user/")
    visit(page, f"/admin/accounts/user/{personas.pat.pk}/change/")
    visit(page, "/admin/accounts/organisation/")
    assert not violations, "\n".join(violations)
