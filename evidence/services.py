"""Writes for evidence exports: request one (validate, pin versions, queue), render it (the
Celery task calls :func:`export_run`), cancel it, run it again, and settle jobs whose worker died.

A job's life: ``queued`` → ``running`` → ``done`` | ``failed`` | ``cancelled``. Every state change
is a conditional UPDATE on the row, so a re-delivered task (acks late), a cancel and the sweep can
race without corrupting it: a finished job is left alone, a running one is rendered again into
the same files (written atomically).

``heartbeat`` is the job's last sign of life: while queued, when it was last handed to the queue;
while running, a beat the worker writes every few seconds (a thread, since laying out a large PDF
is one long call). The periodic sweep publishes again a queued job whose message was lost and
settles a running one whose worker stopped or that ran past its time limit.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Organisation
from core.quotas import job_quota_check
from evidence.bundle import write_bundle
from lib import artefacts
from lib.errors import DomainError, ErrorItem
from lib.instance_keys import instance_ring
from lib.jobs import (
    TIME_LIMIT,
    WORKER_STOPPED,
    Heartbeat,
    duration_text,
    is_database_error,
    is_time_limit,
    recover_connection,
    requeue_stale,
    sweep_stale,
    time_limits,
)
from lib.pdf import render_pdf, static_base_url
from psf.selectors import rubric_version_current
from studio.analysis_service import analysis_for_version
from studio.models import Analysis, Workflow, WorkflowVersion

from .models import ExportJob
from .pack import Pack, build_pack
from .selectors import export_versions, pack_input, submission_versions

log = logging.getLogger(__name__)

EXPORTS_DIR = "exports"
MAX_WORKFLOWS = 20
TASK_NAME = "evidence.export"
# Why a job failed (ExportJob.failure).
QUEUE_UNAVAILABLE, ERROR = "queue_unavailable", "error"  # and lib.jobs' WORKER_STOPPED, TIME_LIMIT
QUEUE_UNAVAILABLE_MESSAGE = (
    "The job queue is unavailable, so the export could not be started. Try again in a minute; "
    "if it persists, the broker (Redis) is down — see /healthz."
)


def export_path(name: str) -> Path:
    """The local path of an export file on the file-system storage (tests and tools; the app
    itself reads and writes exports through :mod:`lib.artefacts`, under ``exports/``)."""
    try:
        return Path(artefacts.storage().path(artefacts.key(EXPORTS_DIR, name)))
    except DomainError:
        raise ValueError("not an export file name") from None


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# --- requesting ---------------------------------------------------------------------------------


def export_request(
    *,
    organisation: Organisation,
    user: Any,
    versions: Sequence[WorkflowVersion],
    submission: Any = None,
    title: str = "",
    enqueue: bool = True,
) -> ExportJob:
    """Record an export of ``versions`` (pinned now) and queue its rendering after commit."""
    job_quota_check(organisation_id=organisation.pk)
    unique = list({v.pk: v for v in versions}.values())
    if not unique:
        raise DomainError("Choose at least one workflow to export.", [ErrorItem("workflows", "none chosen")])
    if len(unique) > MAX_WORKFLOWS:
        raise DomainError(
            f"An evidence pack holds at most {MAX_WORKFLOWS} workflows.", [ErrorItem("workflows", "too many")]
        )
    if any(v.workflow.organisation_id != organisation.pk for v in unique):
        raise DomainError(
            "Only your organisation's workflows can be exported.",
            [ErrorItem("workflows", "unknown workflow")],
            status=404,
            code="not_found",
        )
    rubric = submission.assessment.rubric_version if submission is not None else rubric_version_current()
    if rubric is None:
        raise DomainError(
            "No PSF rubric is loaded; run `manage.py load_rubric`.", status=503, code="no_rubric"
        )
    if not title:
        names = sorted({v.workflow.name for v in unique})
        if submission is not None:
            title = f"{submission.assessment.reference} submission {submission.number}"
        elif len(names) <= 3:
            title = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        else:
            title = f"{', '.join(names[:2])} and {len(names) - 2} more workflows"
    stem = secrets.token_hex(16)
    with transaction.atomic():
        job = ExportJob.objects.create(
            organisation=organisation,
            scope=ExportJob.SUBMISSION if submission is not None else ExportJob.WORKFLOWS,
            title=title[:300],
            submission=submission,
            rubric_version=rubric,
            step="Waiting for a worker",
            pdf_name=f"{stem}.pdf",
            bundle_name=f"{stem}.zip",
            created_by=_user(user),
        )
        job.versions.set(unique)
        if enqueue:
            # After commit, so the worker never looks for a row it cannot see yet.
            transaction.on_commit(partial(_enqueue, job.pk))
    return job


def export_workflows(*, organisation: Organisation, user: Any, workflows: Sequence[Workflow]) -> ExportJob:
    """Export the latest version of each of ``workflows``."""
    versions = []
    for wf in workflows:
        if wf.organisation_id != organisation.pk or wf.deleted_at is not None:
            raise DomainError(
                "Only your organisation's workflows can be exported.",
                [ErrorItem("workflows", "unknown workflow")],
                status=404,
                code="not_found",
            )
        head = (
            WorkflowVersion.objects.select_related("workflow")
            .filter(workflow=wf, number=wf.head_number)
            .first()
        )
        if head is not None:
            versions.append(head)
    return export_request(organisation=organisation, user=user, versions=versions)


def export_submission(*, user: Any, submission: Any) -> ExportJob:
    """Export what a DSA submission froze: its in-scope workflow versions, plus the assessment's
    scores and decision where present."""
    versions = submission_versions(submission=submission)
    if not versions:
        raise DomainError(
            "This submission has no workflow versions in scope to export.",
            [ErrorItem("submission", "empty scope")],
        )
    return export_request(
        organisation=submission.assessment.organisation, user=user, versions=versions, submission=submission
    )


def _enqueue(job_id: int) -> None:
    from .tasks import export_render_task

    task_id = _new_task_id(job_id)
    ExportJob.objects.filter(pk=job_id).update(task_id=task_id, heartbeat=timezone.now())
    try:
        export_render_task.apply_async(args=[job_id], task_id=task_id)
    except (OperationalError, OSError) as exc:
        log.warning("could not queue export %s: %s", job_id, exc)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.QUEUED).update(
            status=ExportJob.FAILED,
            failure=QUEUE_UNAVAILABLE,
            error=QUEUE_UNAVAILABLE_MESSAGE,
            finished=timezone.now(),
        )
        raise DomainError(QUEUE_UNAVAILABLE_MESSAGE, status=503, code="queue_unavailable") from None


def _new_task_id(job_id: int) -> str:
    return f"export-{job_id}-{secrets.token_hex(6)}"


# --- cancel and retry ---------------------------------------------------------------------------


class ExportCancelled(Exception):
    """Raised inside a running export when its cancel was requested."""


def export_cancel(*, job: ExportJob) -> ExportJob:
    """Cancel an export. A queued one is cancelled at once; a running one is asked to stop and
    stops at its next step (before any file is stored). Refused (409) once it has finished."""
    now = timezone.now()
    qs = ExportJob.objects.filter(pk=job.pk)
    if not qs.filter(status=ExportJob.QUEUED).update(
        status=ExportJob.CANCELLED, cancel_requested=True, step="Cancelled", finished=now
    ) and not qs.filter(status=ExportJob.RUNNING).update(cancel_requested=True):
        raise DomainError("This export has already finished.", status=409, code="conflict")
    job.refresh_from_db()
    return job


def export_retry(*, job: ExportJob, user: Any) -> ExportJob:
    """Start a new export of exactly what ``job`` pinned (the same workflow versions, or the same
    DSA submission). Only a failed or cancelled export can be run again (409 otherwise)."""
    if not job.can_retry:
        raise DomainError("Only a failed or cancelled export can be run again.", status=409, code="conflict")
    return export_request(
        organisation=job.organisation,
        user=user,
        versions=list(job.versions.select_related("workflow")),
        submission=job.submission,
        title=job.title,
    )


# --- rendering ----------------------------------------------------------------------------------


def _claim(job_id: int, task_id: str | None = None) -> ExportJob | None:
    """Move the job to ``running``, or None when there is nothing to do.

    Idempotent for re-delivered tasks: a job that is done or cancelled (or failed for a reason
    other than its worker stopping) is left alone; a running one, or one whose worker stopped, is
    rendered again from the start. A running job is restarted only by the delivery that claimed
    it (``task_id``: a redelivery or a retry of the same task), never by a second message the
    sweep published for it while it was queued.
    """
    running = Q(status=ExportJob.RUNNING)
    if task_id is not None:
        running &= Q(task_id=task_id)
    claimable = Q(status=ExportJob.QUEUED) | running | Q(status=ExportJob.FAILED, failure=WORKER_STOPPED)
    now = timezone.now()
    ExportJob.objects.filter(claimable, pk=job_id, cancel_requested=True).update(
        status=ExportJob.CANCELLED, step="Cancelled", finished=now
    )
    claimed = ExportJob.objects.filter(claimable, pk=job_id, cancel_requested=False).update(
        status=ExportJob.RUNNING,
        started=now,
        heartbeat=now,
        finished=None,
        progress=1,
        step="Starting",
        error="",
        failure="",
        **({"task_id": task_id} if task_id is not None else {}),
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related(
        "organisation", "rubric_version", "created_by", "submission__assessment"
    ).get(pk=job_id)


def _beat(job_id: int, **fields: Any) -> None:
    """Write the heartbeat (and ``fields``). It also revives a job the sweep wrongly took for
    dead: it is evidently alive."""
    ExportJob.objects.filter(
        Q(status=ExportJob.RUNNING) | Q(status=ExportJob.FAILED, failure=WORKER_STOPPED), pk=job_id
    ).update(
        status=ExportJob.RUNNING, failure="", error="", finished=None, heartbeat=timezone.now(), **fields
    )


def _progress(job_id: int, percent: int, step: str) -> None:
    """Record a step (it doubles as a heartbeat) and stop here if a cancel was requested."""
    _beat(job_id, progress=percent, step=step[:200])
    if ExportJob.objects.filter(pk=job_id, status=ExportJob.RUNNING, cancel_requested=True).exists():
        raise ExportCancelled()


def _fail(job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.DONE).update(
        status=ExportJob.FAILED, error=message[:2000], finished=timezone.now()
    )


def _store(name: str, data: bytes) -> artefacts.Stored:
    """Store one export file under its row's name, replacing what a killed earlier attempt stored
    (an object appears only complete, so a reader never sees a partial one)."""
    return artefacts.save(EXPORTS_DIR, data, name=name, replace=True)


@dataclass(frozen=True)
class RenderedPack:
    pack: Pack
    html: str
    pdf: bytes
    pages: int
    refused: list[str]
    served: list[str]


_LAYOUT_WHITESPACE = re.compile(r">\s*\n\s*<")


def compact_html(html: str) -> str:
    """Drop the template's indentation between tags (whitespace that holds a line break), which
    WeasyPrint would otherwise parse, style and lay out as thousands of empty text boxes."""
    return _LAYOUT_WHITESPACE.sub("><", html)


def pack_document(*, job: ExportJob, progress: Any = None) -> tuple[Pack, str]:
    """Gather the data of ``job`` and build the pack and its final HTML (nothing rendered yet)."""

    def step(percent: int, text: str) -> None:
        if progress is not None:
            progress(percent, text)

    step(5, "Analysing the workflow versions")
    analyses: dict[int, Analysis] = {}
    for v in export_versions(job=job):
        analyses[v.pk] = analysis_for_version(version=v, rubric_version=job.rubric_version)
    step(15, "Gathering simulations and assessment results")
    data = pack_input(job=job, analyses=analyses)
    step(20, "Drawing diagrams and charts")
    pack = build_pack(data)
    return pack, compact_html(render_to_string("pdf/evidence_pack.html", pack.context))


def render_pack(*, job: ExportJob, progress: Any = None) -> RenderedPack:
    """The pack of ``job`` rendered to PDF, laid out once (no files written)."""
    pack, html = pack_document(job=job, progress=progress)
    if progress is not None:
        progress(30, "Laying out the pages")
    rendered = render_pdf(
        html,
        base_url=static_base_url(),
        inline_images=[pack.input.brand_logo] if pack.input.brand_logo else (),
        on_laid_out=(lambda pages: progress(80, f"Writing {pages} pages")) if progress is not None else None,
    )
    if rendered.log.refused:
        log.warning(
            "export %s: the renderer refused %d URL(s): %s",
            job.pk,
            len(rendered.log.refused),
            rendered.log.refused[:5],
        )
    return RenderedPack(pack, html, rendered.pdf, rendered.pages, rendered.log.refused, rendered.log.served)


def export_run(*, job_id: int, task_id: str | None = None) -> ExportJob | None:
    """Render the PDF and the signed bundle of ``job_id`` and store them.

    Called by the Celery task (``task_id``: its delivery). Safe to call again for the same job (see
    :func:`_claim`). Errors end the job as failed with a readable message; nothing is raised for
    them, so a broken export is never retried in a loop. The exception: when the database is out
    of reach the error is raised, for the task to retry once it is back.
    """
    job = _claim(job_id, task_id)
    if job is None:
        log.info("export %s: nothing to do", job_id)
        return ExportJob.objects.filter(pk=job_id).first()
    heartbeat = Heartbeat(partial(_beat, job_id), f"export-{job_id}-heartbeat").start()
    try:
        rendered = render_pack(job=job, progress=partial(_progress, job_id))
        _progress(job_id, 90, "Signing the bundle")
        ring = instance_ring()
        files = rendered.pack.bundle_files(rendered.pdf)
        buffer = io.BytesIO()
        write_bundle(buffer, files, ring, created=job.created)
        bundle = buffer.getvalue()
        _progress(job_id, 95, "Storing the files")
        pdf = _store(job.pdf_name, rendered.pdf)
        try:
            stored = _store(job.bundle_name, bundle)
        except BaseException:
            with contextlib.suppress(DomainError):  # no half export left behind
                artefacts.delete(EXPORTS_DIR, pdf.name)
            raise
        ExportJob.objects.filter(pk=job_id, status=ExportJob.RUNNING).update(
            status=ExportJob.DONE,
            progress=100,
            step="Done",
            pdf_name=pdf.name,
            pdf_sha256=pdf.sha256,
            pdf_size=pdf.size,
            bundle_name=stored.name,
            bundle_sha256=stored.sha256,
            bundle_size=stored.size,
            page_count=rendered.pages,
            content_hash=rendered.pack.content_hash,
            signing_kid=ring.active().kid,
            finished=timezone.now(),
        )
    except artefacts.StorageError as exc:  # full or unreachable storage: say so, not "internal error"
        log.warning("export %s: files not stored: %s", job_id, exc.__cause__ or exc)
        _fail(job_id, "The export was rendered but could not be stored. " + exc.message)
    except DomainError as exc:
        _fail(job_id, "The export could not be made: " + "; ".join(exc.lines()))
    except Exception as exc:  # a worker must record the failure instead of leaving the job "running"
        _settle_failure(job_id, exc)
    finally:
        heartbeat.stop()
    return ExportJob.objects.filter(pk=job_id).first()


# --- faults -------------------------------------------------------------------------------------


def _settle_failure(job_id: int, exc: Exception) -> None:
    """End the job after an unexpected error (or a cancel), with a message that says what happened."""
    if is_database_error(exc):
        raise exc  # the task retries once the database is back
    if isinstance(exc, ExportCancelled):
        ExportJob.objects.filter(pk=job_id, status=ExportJob.RUNNING).update(
            status=ExportJob.CANCELLED, step="Cancelled", finished=timezone.now()
        )
        return
    if is_time_limit(exc):
        recover_connection()
        soft, _hard = time_limits(TASK_NAME)
        log.warning("export %s stopped at its time limit of %s s", job_id, soft)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.RUNNING).update(
            status=ExportJob.FAILED,
            failure=TIME_LIMIT,
            error=f"The export ran longer than its time limit ({duration_text(soft)}) and was stopped. "
            "Export fewer workflows at a time, or ask an administrator to raise EXPORT_SOFT_TIME_LIMIT.",
            finished=timezone.now(),
        )
        return
    log.exception("export %s failed", job_id, exc_info=exc)
    ExportJob.objects.filter(pk=job_id, status=ExportJob.RUNNING).update(
        status=ExportJob.FAILED,
        failure=ERROR,
        error=f"The export failed with an internal error ({type(exc).__name__}); it has been logged.",
        finished=timezone.now(),
    )


def export_sweep_stale(*, now: Any = None) -> int:
    """Settle running exports that can no longer finish (see :func:`lib.jobs.sweep_stale`). Runs on
    reads of an export and as a periodic task. Returns the number of jobs settled."""
    return sweep_stale(
        model=ExportJob,
        task_name=TASK_NAME,
        overdue_message="The export ran longer than its time limit ({limit}) and was stopped. "
        "Run it again, or export fewer workflows at a time.",
        stopped_message="The worker stopped while making this export (no heartbeat for {seconds} s). "
        "Run it again.",
        now=now,
    )


def export_requeue_stale(*, now: Any = None, limit: int = 200) -> int:
    """Publish again the queued exports that no worker picked up in time (see
    :func:`lib.jobs.requeue_stale`); runs as a periodic task."""
    from .tasks import export_render_task

    return requeue_stale(
        model=ExportJob,
        publish=lambda job_id, task_id: export_render_task.apply_async(args=[job_id], task_id=task_id),
        new_task_id=_new_task_id,
        kind="export",
        now=now,
        limit=limit,
    )
