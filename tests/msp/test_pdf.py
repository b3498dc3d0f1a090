"""The launch pack and governance report PDFs: rendered by the worker's service, branded with the
client's colour and logo, authored by the adviser's firm; the page asks with a POST, polls, and
downloads the verified file. Page 1 is rasterised to test-results/ to be looked at."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from msp.models import PdfRender
from msp.pdf_jobs import pdf_render_request, pdf_render_run
from tests.msp.helpers import HOSTILE, advisory_firm, from_template, head, make_workflow, unguarded_doc

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def _logo() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 80), "#ffffff")
    draw = ImageDraw.Draw(img)
    draw.rectangle((8, 8, 72, 72), fill="#0f766e")
    draw.ellipse((90, 16, 138, 64), fill="#f59e0b")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def client_org(personas: Any) -> Any:
    org = personas.acme
    org.brand_name = "Acme AI Ltd"
    org.brand_colour = "#0f766e"
    org.brand_logo = _logo()
    org.brand_logo_type = "image/png"
    org.save()
    advisory_firm(personas.mia)
    from_template(org, personas.alice, "rag-assistant", "Customer help-centre assistant")
    from_template(org, personas.pat, "support-agent-tools", "Refund support agent")
    make_workflow(org, personas.pat, unguarded_doc(HOSTILE))
    return org


def _text(pdf: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def _stored(job: PdfRender) -> bytes:
    from lib import artefacts

    with artefacts.open_verified("launchpacks", job.pdf_name, sha256=job.pdf_sha256) as fh:
        return bytes(fh.read())


def _page_one_png(pdf: bytes, name: str, tmp_path: Path) -> Path | None:
    if shutil.which("pdftoppm") is None:
        return None
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
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
            "-singlefile",
            str(src),
            str(ARTIFACTS / name),
        ],
        check=True,
        timeout=60,
    )
    return ARTIFACTS / f"{name}.png"


def test_launch_pack_pdf_is_branded_authored_and_complete(
    personas: Any, client_org: Any, tmp_path: Path
) -> None:
    job = pdf_render_request(
        organisation=client_org, user=personas.mia, kind=PdfRender.LAUNCH_PACK, enqueue=False
    )
    done = pdf_render_run(job_id=job.pk)
    assert done is not None and done.status == PdfRender.DONE, done and done.error
    pdf = _stored(done)
    assert pdf.startswith(b"%PDF") and done.pages >= 5 and done.pages == len(PdfReader(io.BytesIO(pdf)).pages)
    pages = _text(pdf)
    cover = pages[0]
    assert "AI launch pack" in cover and "Acme AI Ltd" in cover
    assert "Northwind Advisory (Mia Adviser)" in cover
    text = "\n".join(pages)
    for heading in ("1. Discovery questionnaire", "2. Workshop agenda", "3. Control plan"):
        assert heading in text
    assert HOSTILE in text  # printed as text, never markup
    assert "Owner" in text and "Due date" in text
    assert b"/Subtype /Image" in pdf  # the client's logo, from its checked data URI
    png = _page_one_png(pdf, "launch-pack-page1", tmp_path)
    if png is not None:
        assert png.stat().st_size > 2_000


def test_monthly_report_pdf(personas: Any, client_org: Any, tmp_path: Path) -> None:
    from django.utils import timezone

    from tests.evidence.helpers import add_simulation

    wf = client_org.workflows.get(name="Customer help-centre assistant")
    run = add_simulation(head(wf), n=1_000)
    type(run).objects.filter(pk=run.pk).update(finished=timezone.now())
    PdfRender.objects.all().delete()
    month = timezone.localdate().replace(day=1)
    job = pdf_render_request(
        organisation=client_org, user=personas.mia, kind=PdfRender.MONTHLY_REPORT, month=month, enqueue=False
    )
    done = pdf_render_run(job_id=job.pk)
    assert done is not None and done.status == PdfRender.DONE
    text = "\n".join(_text(_stored(done)))
    assert f"AI GOVERNANCE REPORT · {month:%B %Y}".upper() in text.upper()
    assert "Scores over time" in text and "Simulations: escape rates" in text and HOSTILE in text
    assert "Refund support agent" in text and "v1" in text and "No simulation finished" not in text
    assert done.filename == f"acme-ai-governance-report-{month:%Y-%m}.pdf"
    _page_one_png(_stored(done), "monthly-report-page1", tmp_path)


def test_the_page_queues_polls_and_downloads(
    personas: Any, client_org: Any, client_for: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from msp.tasks import render_pdf_task

    sent: list[Any] = []
    monkeypatch.setattr(render_pdf_task, "apply_async", lambda args, task_id: sent.append(args))
    c = client_for(personas.mia)
    page = c.get("/clients/acme-ai/launch-pack/").content.decode()
    assert 'action="/clients/acme-ai/launch-pack/pdf/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post("/clients/acme-ai/launch-pack/pdf/")
        again = c.post("/clients/acme-ai/launch-pack/pdf/")  # a double click queues one render
    job = PdfRender.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/clients/acme-ai/pdfs/{job.pk}/"
    assert again["Location"] == resp["Location"] and sent == [[job.pk]]
    status = c.get(resp["Location"], headers={"HX-Request": "true"})
    assert status.status_code == 200 and 'data-status="queued"' in status.content.decode()
    assert 'hx-trigger="every 1s"' in status.content.decode()
    assert c.get(f"/clients/acme-ai/pdfs/{job.pk}/download/").status_code == 404  # not ready

    pdf_render_run(job_id=job.pk)
    status = c.get(resp["Location"]).content.decode()
    assert 'data-status="done"' in status and "hx-trigger" not in status
    download = c.get(f"/clients/acme-ai/pdfs/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert f'filename="acme-ai-launch-pack-{job.created:%Y-%m-%d}.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Another member of Acme may fetch it; Globex's member may not even learn it exists.
    assert client_for(personas.alice).get(f"/clients/acme-ai/pdfs/{job.pk}/download/").status_code == 200
    assert client_for(personas.gus).get(f"/clients/acme-ai/pdfs/{job.pk}/download/").status_code == 404
    assert client_for(personas.gus).get(f"/clients/globex/pdfs/{job.pk}/").status_code == 404


def test_a_render_failure_or_a_dead_worker_ends_the_job_with_a_message(
    personas: Any, client_org: Any, monkeypatch: Any, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from msp import pdf_jobs

    job = pdf_render_request(
        organisation=client_org, user=personas.mia, kind=PdfRender.LAUNCH_PACK, enqueue=False
    )
    monkeypatch.setattr(pdf_jobs, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    done = pdf_render_run(job_id=job.pk)
    assert (
        done is not None
        and done.status == PdfRender.FAILED
        and done.error == "The PDF could not be rendered."
    )
    assert pdf_render_run(job_id=job.pk) is None  # a redelivered message leaves it alone

    stuck = pdf_render_request(
        organisation=client_org, user=personas.mia, kind=PdfRender.LAUNCH_PACK, enqueue=False
    )
    PdfRender.objects.filter(pk=stuck.pk).update(
        status=PdfRender.RUNNING, heartbeat=timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    )
    stuck.refresh_from_db()
    assert pdf_jobs.pdf_render_status(job=stuck).status == PdfRender.FAILED
    assert "worker" in stuck.error
    fresh = pdf_render_request(
        organisation=client_org, user=personas.mia, kind=PdfRender.LAUNCH_PACK, enqueue=False
    )
    assert fresh.pk != stuck.pk and fresh.status == PdfRender.QUEUED


def test_a_dead_queue_fails_the_job_with_a_clear_message(
    personas: Any, client_org: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any, client_for: Any
) -> None:
    from kombu.exceptions import OperationalError

    from msp.tasks import render_pdf_task

    def down(args: Any, task_id: str) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr(render_pdf_task, "apply_async", down)
    c = client_for(personas.alice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post("/clients/acme-ai/launch-pack/pdf/")
    job = PdfRender.objects.get()
    assert job.status == PdfRender.FAILED and "queue is unavailable" in job.error
    page = c.get(resp["Location"]).content.decode()
    assert "queue is unavailable" in page and 'action="/clients/acme-ai/launch-pack/pdf/"' in page


def test_the_renderer_loads_only_the_data_uris_it_was_given() -> None:
    import base64

    from lib.pdf import render_pdf

    logo = "data:image/png;base64," + base64.b64encode(_logo()).decode()
    other = "data:image/png;base64," + base64.b64encode(_logo()[:-4] + b"\0\0\0\0").decode()
    html = f'<p><img src="{logo}" alt=""><img src="{other}" alt=""></p>'
    trusted = render_pdf(html, inline_images=[logo])
    assert trusted.log.refused == [other] and trusted.log.served == [logo[:40] + "…"]
    assert render_pdf(html).log.refused == [logo, other]
