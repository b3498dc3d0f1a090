"""Imported results pages: a workflow's imports with the upload form, one import's report, and
the original file (checked against its SHA-256)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import login_required_page, request_user
from lib import artefacts
from lib.errors import DomainError
from studio.access import access_workflow_by_id
from studio.selectors import version_get, version_list

from .access import access_result_by_id
from .forms import ResultImportForm
from .selectors import result_list
from .services import PREFIX, result_import


@require_http_methods(["GET", "POST"])
@login_required_page
def result_index(request: Any, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    versions = [v.number for v in version_list(workflow=wf)]
    status = 200
    if request.method == "POST":
        form = ResultImportForm(request.POST, request.FILES, versions=versions)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = result_import(
                    workflow=wf,
                    user=request_user(request),
                    fh=upload,
                    file_name=upload.name or "results.json",
                    version=version_get(workflow=wf, number=form.cleaned_data["version"]),
                    claimed=form.cleaned_data["format"] or None,
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, f"Imported {result.tool} results ({result.format}) as import #{result.pk}."
                )
                return redirect("results:detail", wf.pk, result.pk)
        else:
            status = 400
    else:
        form = ResultImportForm(versions=versions)
    imports = list(result_list(workflow=wf)[:100])
    ctx = {"wf": wf, "form": form, "imports": imports}
    return render(request, "results/index.html", ctx, status=status)


@require_GET
@login_required_page
def result_detail(request: Any, workflow_id: int, result_id: int) -> HttpResponse:
    result = access_result_by_id(request, result_id, workflow_id=workflow_id)
    report = result.report
    ctx = {
        "wf": result.workflow,
        "result": result,
        "summary": report.get("summary", {}),
        "mapping": report.get("mapping"),
        "observed": report.get("observed"),
        "findings": report.get("findings", []),
    }
    return render(request, "results/detail.html", ctx)


@never_cache
@require_GET
@login_required_page
def result_file(request: Any, workflow_id: int, result_id: int) -> HttpResponse:
    result = access_result_by_id(request, result_id, workflow_id=workflow_id)
    try:
        fh = artefacts.open_verified(PREFIX, result.stored_name, sha256=result.file_sha256)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404("File not found.") from None
        titles = {"artefact_missing": "File missing", "artefact_changed": "File changed"}
        return render(
            request,
            "core/error.html",
            {"title": titles.get(exc.code, "Storage unavailable"), "message": exc.message},
            status=exc.status,
        )
    response: HttpResponse = FileResponse(  # type: ignore[assignment]
        fh, as_attachment=True, filename=result.file_name, content_type="application/json"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
