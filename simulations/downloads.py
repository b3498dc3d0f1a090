"""File responses shared by the pages and the API: the journal, the report and the parameters."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import IO

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from lib import artefacts
from lib.canonical import canonical_json
from lib.errors import DomainError

from .models import SimulationRun
from .presenters import params_filename
from .services import JOURNAL_DIR

JSONL = "application/jsonl; charset=utf-8"


def _journal_file(run: SimulationRun) -> IO[bytes]:
    """The stored gzip journal, opened after checking that its lines still hash to the run's
    ``journal_hash`` (DomainError 409 if not, 410 if it is gone, 503 if storage is down)."""
    if run.status != SimulationRun.DONE or not run.journal_name:
        raise Http404("The journal exists once the simulation is done.")
    return artefacts.open_verified(JOURNAL_DIR, run.journal_name, sha256=run.journal_hash, gunzip=True)


def _lines(fh: IO[bytes]) -> Iterator[bytes]:
    with fh, gzip.GzipFile(fileobj=fh, mode="rb") as fp:
        while chunk := fp.read(256 * 1024):
            yield chunk


def journal_response(request: HttpRequest, run: SimulationRun) -> HttpResponseBase:
    """The per-request journal as JSON Lines. Clients that accept gzip get the stored compressed
    file as it is (``Content-Encoding: gzip``); others get it decompressed on the fly. A journal
    whose content changed since the run stored it is refused (409), never served."""
    try:
        fh = _journal_file(run)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404("The journal file reference is not valid.") from None
        refusal = HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        refusal["X-Content-Type-Options"] = "nosniff"
        return refusal
    filename = f"simulation-{run.pk}-journal.jsonl"
    response: HttpResponseBase
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = FileResponse(fh, content_type=JSONL)
        response["Content-Encoding"] = "gzip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = StreamingHttpResponse(_lines(fh), content_type=JSONL)
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
