"""Browser: mia, an adviser, opens a client's launch pack, reads the workshop sessions and the
control plan, asks for the PDF, watches it being prepared by a real Celery worker and downloads
it; its first page is rasterised to test-results/ to be looked at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.msp.helpers import advisory_firm, from_template, make_workflow, unguarded_doc
from tests.simulations.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.local_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings.MEDIA_ROOT


def test_mia_downloads_a_clients_launch_pack(page: Any, personas: Any, media: Path, tmp_path: Path) -> None:
    from msp.models import PdfRender

    acme = personas.acme
    acme.brand_colour = "#0f766e"
    acme.save()
    advisory_firm(personas.mia)
    from_template(acme, personas.alice, "rag-assistant", "Customer help-centre assistant")
    make_workflow(acme, personas.pat, unguarded_doc("Prototype <b>sales</b> bot"))

    sign_in(page, "mia@msp.example")
    # From the Clients overview: switch into the client, then open its launch pack.
    page.goto("/clients/")
    row = page.locator('[data-testid="client-row"][data-slug="acme-ai"]')
    if row.get_by_test_id("client-switch").count():
        row.get_by_test_id("client-switch").click()
        page.wait_for_url(re.compile(r"/dashboard/$"))
        page.goto("/clients/")
        row = page.locator('[data-testid="client-row"][data-slug="acme-ai"]')
    assert "working here now" in row.inner_text()
    row.get_by_test_id("client-launch-pack").click()
    page.wait_for_url(re.compile(r"/clients/acme-ai/launch-pack/$"))
    assert page.get_by_role("heading", name="AI launch pack").is_visible()
    assert page.get_by_test_id("lp-author").first.inner_text() == "Northwind Advisory (Mia Adviser)"
    sessions = page.get_by_test_id("lp-session")
    assert sessions.count() >= 1
    assert page.get_by_test_id("lp-control-row").count() >= 1
    # The hostile workflow name is shown as text, not as markup.
    assert page.get_by_text("Prototype <b>sales</b> bot").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "launch-pack-page.png"), full_page=True)

    page.get_by_test_id("launch-pack-pdf").click()
    page.wait_for_url(re.compile(r"/clients/acme-ai/pdfs/\d+/$"))
    assert page.get_by_test_id("pdf-status").get_attribute("data-status") == "queued"

    worker = Worker(media, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        link = page.get_by_test_id("pdf-download")
        wait_for("the download link", lambda: link.count() == 1, worker, timeout=180)
        with page.expect_download() as info:
            link.click()
        download = info.value
    finally:
        worker.stop()

    job = PdfRender.objects.get()
    assert job.status == PdfRender.DONE and job.requested_by == personas.mia
    assert download.suggested_filename == job.filename
    saved = tmp_path / job.filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / "e2e-launch-pack-page1"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(saved), str(out)],
            check=True,
            timeout=60,
        )
        assert out.with_suffix(".png").stat().st_size > 2_000
