"""File responses shared by the pages and the API: the journal, the report and the parameters."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from lib.canonical import canonical_json

from .models import SimulationRun
from .presenters import params_filename
from .services import journal_path

JSONL = "application/jsonl; charset=utf-8"


def _journal_file(run: SimulationRun) -> Path:
    if run.status != SimulationRun.DONE or not run.journal_name:
        raise Http404("The journal exists once the simulation is done.")
    path = journal_path(run.journal_name)
    if not path.is_file():
        raise Http404("The journal file is missing on this server; run the simulation again to recreate it.")
    return path


def _lines(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as fp:
        while chunk := fp.read(256 * 1024):
            yield chunk


def journal_response(request: HttpRequest, run: SimulationRun) -> HttpResponseBase:
    """The per-request journal as JSON Lines. Clients that accept gzip get the stored compressed
    file as it is (``Content-Encoding: gzip``); others get it decompressed on the fly."""
    path = _journal_file(run)
    filename = f"simulation-{run.pk}-journal.jsonl"
    response: HttpResponseBase
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = FileResponse(open(path, "rb"), content_type=JSONL)  # noqa: SIM115 - closed by Django
        response["Content-Encoding"] = "gzip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = StreamingHttpResponse(_lines(path), content_type=JSONL)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Vary"] = "Accept-Encoding"
    response["X-Journal-SHA256"] = run.journal_hash
    response["X-Content-Type-Options"] = "nosniff"
    return response


def report_response(run: SimulationRun) -> HttpResponse:
    """The report as canonical JSON: its SHA-256 is the run's ``report_hash``."""
    if run.status != SimulationRun.DONE or not run.report:
        raise Http404("The report exists once the simulation is done.")
    response = HttpResponse(canonical_json(run.report), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}-report.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def params_response(run: SimulationRun) -> HttpResponse:
    """The parameters file for ``workflowos simulate --params``."""
    response = HttpResponse(canonical_json(run.params) + "\n", content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{params_filename(run)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
