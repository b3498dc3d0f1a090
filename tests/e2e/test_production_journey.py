"""A practitioner's journey through the production stack in Chromium: sign in, open a workflow and
its analysis, run a simulation and an evidence export that finish on the production Celery worker,
download the PDF, then the public trust-mark record and the verify API as an outsider."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def _wait(what: str, check: Any, stack: Any, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{stack.log('worker')}")


def test_practitioner_journey_on_the_production_stack(
    page: Any, personas: Any, production_stack: Any
) -> None:
    from django.core.management import call_command

    from studio.services import workflow_from_template
    from trustmarks.models import TrustMark

    call_command("seed_demo", verbosity=0)  # an issued mark for the public record
    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Prod journey assistant"
    )

    sign_in(page, "pat@acme.example")
    page.wait_for_url("**/dashboard/")
    css = page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert css and "Times" not in css  # the collected, hashed stylesheet is served

    page.goto(f"/studio/{wf.pk}/")
    assert page.locator(".drawflow-node").count() > 3
    page.goto(f"/studio/{wf.pk}/analysis/")
    assert page.get_by_test_id("analysis-summary").is_visible()
    assert page.get_by_test_id("domain-chart").is_visible()

    # A simulation runs on the production worker and its report replaces the progress panel.
    page.goto(f"/studio/{wf.pk}/simulations/")
    page.fill("#id_n", "20000")
    page.get_by_test_id("start-run").click()
    page.wait_for_url(re.compile(r"/simulations/\d+/$"))
    _wait(
        "the simulation report",
        lambda: page.locator("[data-testid=verdict]").count() > 0,
        production_stack,
    )

    # An evidence export is rendered by the worker; the PDF downloads from the web process.
    page.goto(f"/evidence/workflows/{wf.pk}/")
    page.get_by_test_id("export-evidence").click()
    _wait(
        "the export",
        lambda: page.locator("[data-testid=export-status][data-status=done]").count() > 0,
        production_stack,
    )
    pdf = page.request.get(page.get_by_test_id("download-pdf").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.body()[:5] == b"%PDF-"

    # The public record and the verify API, signed out.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    mark = TrustMark.objects.order_by("number").first()
    assert mark is not None
    page.goto(f"/verify/{mark.mark_id}")
    assert mark.mark_id in page.content()
    api = page.request.get(f"/api/certify/trust-mark/verify?id={mark.mark_id}")
    assert api.status == 200
    assert api.json()["valid"] is True
    missing = page.goto("/verify/TM-99999")
    assert missing is not None
    assert missing.status == 404
    assert "Page not found" in page.content()
