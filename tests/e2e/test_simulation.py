"""Browser: start a simulation from the page, watch the htmx progress reach done on a real Celery
worker, then read the verdict, the per-domain chart and the scenario × control matrix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.simulations.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.local_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journals(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings.MEDIA_ROOT


def test_start_a_run_watch_progress_and_read_the_report(
    page: Any, personas: Any, journals: Path, tmp_path: Path
) -> None:
    from simulations.models import SimulationRun
    from studio.services import workflow_from_template

    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Help-centre assistant"
    )
    sign_in(page, "pat@acme.example")
    page.goto(f"/studio/{wf.pk}/simulations/")
    assert page.get_by_role("link", name="Simulations").get_attribute("aria-current") == "page"
    seed = page.input_value("#id_seed")
    assert seed.isdigit()  # a random default, shown and editable
    page.fill("#id_n", "1000000")
    page.fill("#id_seed", "4242")
    page.fill("#id_max_p99_latency_ms", "600000")
    page.get_by_test_id("start-run").click()
    page.wait_for_url(re.compile(r"/simulations/\d+/$"))

    # No worker yet: the run waits in the queue, and the page says so while it polls.
    assert page.get_by_test_id("run-status").inner_text() == "Queued"
    assert page.get_by_test_id("no-worker").is_visible()
    assert page.get_by_test_id("progress").get_attribute("value") == "0"
    page.screenshot(path=str(ARTIFACTS / "simulation-queued.png"), full_page=True)

    worker = Worker(journals, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        run = SimulationRun.objects.get()
        # htmx swaps the progress panel every second; it ends with the finished report.
        seen: list[int] = []

        def progressed() -> bool:
            # One atomic read: htmx may swap the panel for the report between two locator calls.
            state = page.evaluate(
                """() => {
                    if (document.querySelector('[data-testid=verdict]')) return 'done';
                    const bar = document.querySelector('[data-testid=progress]');
                    return bar ? bar.getAttribute('value') : null;
                }"""
            )
            if state == "done":
                return True
            if state is not None:
                seen.append(int(state))
            return False

        wait_for("the report on the page", progressed, worker, timeout=180)
        assert SimulationRun.objects.get(pk=run.pk).status == "done"
    finally:
        worker.stop()

    run.refresh_from_db()
    verdict = page.get_by_test_id("verdict")
    assert verdict.is_visible()
    assert ("Pass" if run.passed else "Fail") in verdict.inner_text()
    checks = page.get_by_test_id("checks").inner_text()
    assert "Escape rate" in checks and "Availability" in checks and "p99 latency" in checks
    assert page.get_by_test_id("domain-escape-svg").is_visible()
    matrix = page.get_by_test_id("matrix")
    assert matrix.is_visible()
    assert matrix.locator("tbody tr").count() == len(run.report["matrix"]["rows"])
    assert "Direct prompt injection" in matrix.inner_text()
    assert page.get_by_test_id("report-hash").inner_text() == run.report_hash
    assert "workflowos simulate" in page.get_by_test_id("reproduce-cli").inner_text()
    assert "--runs 1000000 --seed 4242" in page.get_by_test_id("reproduce-cli").inner_text()
    journal = page.request.get(page.get_by_test_id("journal-download").get_attribute("href"))
    assert journal.ok and journal.body().count(b"\n") == 1_000_000
    assert not page.locator("[hx-trigger]").count()  # polling stopped
    assert seen and seen[0] == 0  # the bar was on the page before the report replaced it
