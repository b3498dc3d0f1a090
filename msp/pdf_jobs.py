"""Rendering a client's launch pack or monthly report PDF in the background.

Measured with bench/launch_pack_pdf.py: a client with a dozen workflows gets a launch pack of
about 30 pages, which WeasyPrint lays out in several seconds — too long for a request. So a
request queues a :class:`~msp.models.PdfRender` and a worker renders it (``msp.tasks``); the page
polls until the file is ready. As with evidence exports (``lib.jobs``): the task takes the row id,
is acknowledged late and retried while the database is away, writes a heartbeat during the long
layout, and a job whose worker vanished is settled as failed when someone looks at it.

The pack is built from the data as it is when the worker runs, and its author is the person who
asked (``author_for``), exactly as on the HTML page.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Organisation, User
from lib import artefacts
from lib.errors import DomainError
from lib.jobs import Heartbeat, is_database_error, requeue_after, stale_after
from lib.pdf import render_pdf, static_base_url

from .launchpack import LaunchPack, MonthlyReport, launch_pack_for, monthly_report_for
from .models import PdfRender

log = logging.getLogger(__name__)

PDF_DIR = "launchpacks"
QUEUE_UNAVAILABLE = (
    "The background queue is unavailable, so the PDF cannot be prepared now; try again in a minute."
)
WORKER_STOPPED = "The worker rendering this PDF stopped. Prepare it again."
_LAYOUT_WHITESPACE = re.compile(r">\s*\n\s*<")


def compact_html(html: str) -> str:
    """Drop indentation between tags, which WeasyPrint would lay out as empty text boxes."""
    return _LAYOUT_WHITESPACE.sub("><", html)


def pdf_render_request(
    *, organisation: Organisation, user: User, kind: str, month: date | None = None, enqueue: bool = True
) -> PdfRender:
    """Queue the PDF of ``kind`` for ``organisation`` as ``user`` asks for it. A render of the same
    thing already queued or running for the same person is reused (a double click queues one)."""
    if kind not in dict(PdfRender.KINDS):
        raise DomainError("Unknown document.", status=400, code="invalid")
    pending = PdfRender.objects.filter(
        organisation=organisation,
        kind=kind,
        month=month,
        requested_by=user,
        status__in=[PdfRender.QUEUED, PdfRender.RUNNING],
    ).first()
    if pending is not None and not _settle_if_stale(pending):
        return pending
    job = PdfRender.objects.create(organisation=organisation, kind=kind, month=month, requested_by=user)
    if enqueue:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import render_pdf_task

    task_id = f"launchpack-{job_id}-{secrets.token_hex(6)}"
    PdfRender.objects.filter(pk=job_id).update(task_id=task_id, heartbeat=timezone.now())
    try:
        render_pdf_task.apply_async(args=[job_id], task_id=task_id)
    except (OperationalError, OSError) as exc:
        log.warning("could not queue launch-pack PDF %s: %s", job_id, exc)
        _fail(job_id, QUEUE_UNAVAILABLE)


def _fail(job_id: int, message: str) -> None:
    PdfRender.objects.filter(pk=job_id).exclude(status=PdfRender.DONE).update(
        status=PdfRender.FAILED, error=message[:300], finished=timezone.now()
    )


def _settle_if_stale(job: PdfRender) -> bool:
    """End a job whose worker is gone (running without a recent heartbeat, or never picked up);
    True when it was settled."""
    now = timezone.now()
    beat = job.heartbeat or job.started or job.created
    stale = (job.status == PdfRender.RUNNING and now - beat > stale_after()) or (
        job.status == PdfRender.QUEUED and now - (job.heartbeat or job.created) > requeue_after()
    )
    if stale:
        _fail(job.pk, WORKER_STOPPED)
        job.refresh_from_db()
    return stale


def pdf_render_status(*, job: PdfRender) -> PdfRender:
    """The job as it stands, a dead one settled first."""
    if not job.is_finished:
        _settle_if_stale(job)
    return job


def _claim(job_id: int, task_id: str | None) -> PdfRender | None:
    now = timezone.now()
    claimed = PdfRender.objects.filter(pk=job_id, status__in=[PdfRender.QUEUED, PdfRender.RUNNING]).update(
        status=PdfRender.RUNNING, started=now, heartbeat=now, task_id=task_id or ""
    )
    if not claimed:
        return None  # finished already (a redelivery of a done job)
    return PdfRender.objects.select_related("organisation", "requested_by").get(pk=job_id)


def launch_pack_pdf_html(pack: LaunchPack) -> str:
    return compact_html(render_to_string("pdf/launch_pack.html", {"pack": pack, "brand": pack.client}))


def monthly_report_pdf_html(report: MonthlyReport) -> str:
    return compact_html(
        render_to_string("pdf/monthly_governance_report.html", {"r": report, "brand": report.client})
    )


def document_html(job: PdfRender) -> tuple[str, tuple[str, ...]]:
    """The final HTML of the job's document, built from the client's current data, and the data
    URIs its renderer may load (the client's logo, checked by content when it was uploaded)."""
    if job.kind == PdfRender.MONTHLY_REPORT:
        assert job.month is not None
        report = monthly_report_for(organisation=job.organisation, month=job.month, user=job.requested_by)
        html, brand = monthly_report_pdf_html(report), report.client
    else:
        pack = launch_pack_for(organisation=job.organisation, user=job.requested_by)
        html, brand = launch_pack_pdf_html(pack), pack.client
    return html, ((brand.logo_data_uri,) if brand.has_logo else ())


def pdf_render_run(*, job_id: int, task_id: str | None = None) -> PdfRender | None:
    """Render and store the PDF of ``job_id`` (the worker's side). Safe to run twice; errors end
    the job failed with a readable message, except the database being away, which is raised for
    the task to retry."""
    job = _claim(job_id, task_id)
    if job is None:
        return None
    heartbeat = Heartbeat(
        lambda: PdfRender.objects.filter(pk=job_id, status=PdfRender.RUNNING).update(
            heartbeat=timezone.now()
        ),
        name=f"launchpack-{job_id}-heartbeat",
    ).start()
    try:
        html, logos = document_html(job)
        rendered = render_pdf(html, base_url=static_base_url(), inline_images=logos)
        stored = artefacts.save(PDF_DIR, rendered.pdf, name=artefacts.random_name(".pdf"))
    except Exception as exc:
        if is_database_error(exc):
            raise
        message = exc.message if isinstance(exc, DomainError) else "The PDF could not be rendered."
        log.exception("launch-pack PDF %s failed", job_id)
        _fail(job_id, message)
        return PdfRender.objects.get(pk=job_id)
    finally:
        heartbeat.stop()
    PdfRender.objects.filter(pk=job_id).update(
        status=PdfRender.DONE,
        pdf_name=stored.name,
        pdf_size=stored.size,
        pdf_sha256=stored.sha256,
        pages=rendered.pages,
        finished=timezone.now(),
        heartbeat=timezone.now(),
    )
    return PdfRender.objects.get(pk=job_id)
