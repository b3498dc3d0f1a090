"""Evidence pages: start an export (of a workflow, a set of workflows or a DSA submission), watch
its progress (htmx polling) and download the PDF and the signed bundle."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import login_required_page, member_required, require_membership
from lib import artefacts
from lib.errors import DomainError
from studio.access import access_workflow_by_id

from . import services as jobs
from .access import access_export_by_id, access_submission_for_export
from .forms import ExportWorkflowsForm
from .models import ExportJob
from .selectors import exports_for_organisation, exports_for_submission, exports_for_workflow
from .services import EXPORTS_DIR, export_submission, export_workflows

POLL_SECONDS = 1


def download_name(job: ExportJob, kind: str) -> str:
    """The file name offered to the browser, e.g. ``evidence-pack-acme-ai-EXP-00007.pdf``."""
    stem = "evidence-pack" if kind == "pdf" else "evidence-bundle"
    return f"{stem}-{job.organisation.slug}-{job.reference}.{'pdf' if kind == 'pdf' else 'zip'}"


def file_response(job: ExportJob, kind: str) -> HttpResponse:
    """The stored PDF or ZIP of a finished export, as an attachment (404 until it is done; 409 if
    the stored file no longer matches the SHA-256 recorded when it was made; 410 if it is gone;
    503 if storage is unreachable)."""
    if job.status != ExportJob.DONE:
        raise Http404("This export has no files yet.")
    name, expected = (job.pdf_name, job.pdf_sha256) if kind == "pdf" else (job.bundle_name, job.bundle_sha256)
    try:
        fh = artefacts.open_verified(EXPORTS_DIR, name, sha256=expected)
    except DomainError as exc:
        if exc.code in ("not_found", "artefact_missing"):
            raise Http404("The file of this export is missing.") from None
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    content_type = "application/pdf" if kind == "pdf" else "application/zip"
    response: HttpResponse = FileResponse(  # type: ignore[assignment]
        fh, as_attachment=True, filename=download_name(job, kind), content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _start(request: HttpRequest, start: Callable[[], ExportJob]) -> HttpResponse:
    try:
        job = start()
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.get_full_path())
    messages.success(request, f"Export {job.reference} started; this page follows its progress.")
    return redirect("evidence:detail", export_id=job.pk)


@require_http_methods(["GET", "POST"])
@member_required()
def export_index(request: HttpRequest) -> HttpResponse:
    """The organisation's evidence packs, and a form to export a set of workflows."""
    membership = require_membership(request)
    org = membership.organisation
    form = ExportWorkflowsForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        workflows = list(form.cleaned_data["workflows"])
        return _start(
            request, lambda: export_workflows(organisation=org, user=request.user, workflows=workflows)
        )
    exports = exports_for_organisation(org, done_only=False)[:100]
    return render(request, "evidence/index.html", {"form": form, "exports": exports})


@require_http_methods(["GET", "POST"])
@member_required()
def workflow_evidence(request: HttpRequest, workflow_id: int) -> HttpResponse:
    """The Evidence tab of a workflow: its packs and a button to export it."""
    wf = access_workflow_by_id(request, workflow_id)
    if request.method == "POST":
        org = require_membership(request).organisation
        return _start(request, lambda: export_workflows(organisation=org, user=request.user, workflows=[wf]))
    return render(
        request, "evidence/workflow.html", {"wf": wf, "exports": exports_for_workflow(workflow=wf)[:100]}
    )


@require_http_methods(["GET", "POST"])
@login_required_page
def submission_evidence(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The evidence packs of a DSA submission, and a button to make one."""
    sub = access_submission_for_export(request, submission_id)
    if request.method == "POST":
        return _start(request, lambda: export_submission(user=request.user, submission=sub))
    return render(
        request,
        "evidence/submission.html",
        {"sub": sub, "exports": exports_for_submission(submission=sub)[:100]},
    )


@require_GET
@login_required_page
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """An export's status; while it runs, htmx polls the status panel every second."""
    jobs.export_sweep_stale()  # a job whose worker died is shown as such, not "running" forever
    job = access_export_by_id(request, export_id)
    ctx = {"job": job, "poll_seconds": POLL_SECONDS}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "evidence/_job_status_panel.html", ctx)
    return render(request, "evidence/detail.html", ctx)


@require_POST
@login_required_page
def export_cancel_view(request: HttpRequest, export_id: int) -> HttpResponse:
    """Cancel a queued or running export (whoever may see it may cancel it)."""
    job = access_export_by_id(request, export_id)
    try:
        job = jobs.export_cancel(job=job)
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        if job.status == ExportJob.CANCELLED:
            messages.success(request, f"Export {job.reference} cancelled.")
        else:
            messages.info(request, f"Cancelling export {job.reference}: it stops at its next step.")
    return redirect("evidence:detail", export_id=job.pk)


@require_POST
@login_required_page
def export_retry_view(request: HttpRequest, export_id: int) -> HttpResponse:
    """Run a failed or cancelled export again, as a new export of the same pinned inputs."""
    job = access_export_by_id(request, export_id)
    try:
        new = jobs.export_retry(job=job, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("evidence:detail", export_id=job.pk)
    messages.success(request, f"Export {new.reference} started with the inputs of {job.reference}.")
    return redirect("evidence:detail", export_id=new.pk)


@require_GET
@login_required_page
def export_download(request: HttpRequest, export_id: int, kind: str) -> HttpResponse:
    job = access_export_by_id(request, export_id)
    return file_response(job, kind)
