"""Browser: import a promptfoo result and a trace onto a workflow from the Import results page,
then read the PSF mapping, the observed steps and the drift findings (screenshots for a look)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.local_server, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[1] / "results" / "fixtures"


def test_import_promptfoo_and_trace_then_read_them(page: Any, personas: Any, settings: Any, tmp_path: Path):
    from tests.studio.helpers import make_workflow

    settings.MEDIA_ROOT = tmp_path / "files"
    wf = make_workflow(personas.acme, personas.pat, "Support bot")
    sign_in(page, "pat@acme.example")
    page.goto(f"/studio/{wf.pk}/")
    page.get_by_role("link", name="Import results").click()
    page.wait_for_url(re.compile(rf"/studio/{wf.pk}/results/$"))
    assert page.get_by_test_id("no-imports").is_visible()

    page.set_input_files("#id_file", str(FIXTURES / "promptfoo" / "results.json"))
    page.get_by_test_id("import-submit").click()
    page.wait_for_url(re.compile(r"/results/\d+/$"))
    assert "LLM07:2025" in page.get_by_test_id("plugins").inner_text()
    assert "PSF-2" in page.get_by_test_id("domains").inner_text()
    page.screenshot(path=str(ARTIFACTS / "results-promptfoo.png"), full_page=True)

    page.goto(f"/studio/{wf.pk}/results/")
    page.set_input_files("#id_file", str(FIXTURES / "otlp" / "drift.otlp.json"))
    page.select_option("#id_format", "otlp")
    page.get_by_test_id("import-submit").click()
    page.wait_for_url(re.compile(r"/results/\d+/$"))
    assert "mistral_ai" in page.get_by_test_id("unmatched").inner_text()
    assert "TRACE-DRIFT-VENDOR" in page.get_by_test_id("findings").inner_text()
    page.screenshot(path=str(ARTIFACTS / "results-trace.png"), full_page=True)

    page.goto(f"/studio/{wf.pk}/results/")
    assert page.get_by_test_id("imports").locator("tbody tr").count() == 2
    page.set_input_files("#id_file", str(FIXTURES / "promptfoo" / "promptfooconfig.yaml"))
    page.get_by_test_id("import-submit").click()
    assert "not a result format" in page.get_by_test_id("form-error").inner_text()
    page.screenshot(path=str(ARTIFACTS / "results-index.png"), full_page=True)
