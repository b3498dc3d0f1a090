"""Data for the evidence tests, built with the real services (and the simulator for runs)."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

HOSTILE = '<img src="file:///etc/passwd">'


def doc(name: str = "Support bot", *, first_label: str = "Customer message", **facts: Any) -> dict[str, Any]:
    """A small workflow with an input, two controls, a model and a reply."""
    return {
        "format": "workflowos.workflow/v1",
        "name": name,
        "description": "Answers customer questions.",
        "facts": {
            "personal_data": True,
            "stakes": "low",
            "audience": "external",
            "regulated": False,
            **facts,
        },
        "nodes": [
            {"id": "in", "type": "user_input", "label": first_label, "position": {"x": 0, "y": 0}},
            {
                "id": "inj",
                "type": "injection_filter",
                "label": "Injection filter",
                "config": {"on_fail": "block"},
                "position": {"x": 260, "y": 0},
            },
            {
                "id": "llm",
                "type": "llm_call",
                "label": "Answer",
                "config": {
                    "vendor": "openai",
                    "model": "gpt-4o",
                    "model_version": "2024-08-06",
                    "notes": HOSTILE,
                },
                "position": {"x": 520, "y": 0},
            },
            {
                "id": "check",
                "type": "output_validator",
                "label": "Output check",
                "position": {"x": 780, "y": 0},
            },
            {"id": "out", "type": "response", "label": "Reply", "position": {"x": 1040, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "from": "in", "to": "inj"},
            {"id": "e2", "from": "inj", "to": "llm"},
            {"id": "e3", "from": "llm", "to": "check"},
            {"id": "e4", "from": "check", "to": "out", "label": "ok"},
        ],
    }


def make_workflow(org: Any, user: Any, name: str = "Support bot", **kwargs: Any) -> Any:
    from studio.format import parse_document
    from studio.services import workflow_create

    return workflow_create(organisation=org, author=user, document=parse_document(doc(name, **kwargs)))


def head(wf: Any) -> Any:
    from studio.selectors import version_get

    return version_get(workflow=wf)


def add_simulation(version: Any, *, n: int = 2_000, seed: int = 7) -> Any:
    """A finished simulation run of ``version`` (the report computed by the simulator)."""
    from lib.canonical import canonical_json, sha256_hex
    from simulations.models import SimulationRun
    from simulator.engine import simulate
    from studio.format import parse_document

    report = simulate(parse_document(version.document), n=n, seed=seed).to_data()
    return SimulationRun.objects.create(
        organisation_id=version.workflow.organisation_id,
        workflow=version.workflow,
        version=version,
        workflow_hash=version.content_hash,
        catalogue_version="1",
        seed=seed,
        n=n,
        params=report["params"]["simulation"],
        status=SimulationRun.DONE,
        progress_done=n,
        report=report,
        report_hash=sha256_hex(canonical_json(report)),
        passed=report["verdict"]["pass"],
    )


def export_now(org: Any, user: Any, versions: list[Any], **kwargs: Any) -> Any:
    """Request an export and run it as the worker would; returns the finished job."""
    from evidence.services import export_request, export_run

    job = export_request(organisation=org, user=user, versions=versions, enqueue=False, **kwargs)
    done = export_run(job_id=job.pk)
    assert done is not None
    return done


def stored(job: Any, kind: str) -> bytes:
    from lib import artefacts

    with artefacts.storage().open(f"exports/{job.pdf_name if kind == 'pdf' else job.bundle_name}") as fh:
        return bytes(fh.read())


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def squeeze(text: str) -> str:
    """Text without whitespace: a hash wrapped over two lines is still found."""
    return re.sub(r"\s+", "", text)


def fake_done(
    job: Any, *, pdf: bytes = b"%PDF-1.7 test pack", bundle: bytes = b"PK\x05\x06" + b"\0" * 18
) -> Any:
    """Mark a job done with small placeholder files (for access and flow tests that need no render)."""
    from evidence.models import ExportJob
    from lib import artefacts
    from lib.canonical import sha256_hex

    artefacts.save("exports", pdf, name=job.pdf_name, replace=True)
    artefacts.save("exports", bundle, name=job.bundle_name, replace=True)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.DONE,
        progress=100,
        step="Done",
        page_count=1,
        pdf_size=len(pdf),
        bundle_size=len(bundle),
        pdf_sha256=sha256_hex(pdf),
        bundle_sha256=sha256_hex(bundle),
    )
    job.refresh_from_db()
    return job


def make_submission(
    org: Any, admin: Any, versions: list[Any], *, assessor: Any = None, decided: bool = False
) -> Any:
    """A DSA assessment of ``org`` with one frozen submission of ``versions`` (scored and decided
    when asked), built on the models as the assessment feature stores them."""
    from datetime import date

    from django.utils import timezone

    from assessments.models import Assessment, CriterionScore, Submission
    from lib.canonical import content_hash
    from psf.selectors import rubric_version_current

    a = Assessment.objects.create(
        organisation=org,
        rubric_version=rubric_version_current(),
        status=Assessment.PASSED if decided else Assessment.IN_REVIEW,
        systems_description="Customer support assistants.",
        size_tier="mid_market",
        acknowledge_due=date(2026, 1, 5),
        assessor=assessor,
    )
    a.scope_workflows.set([v.workflow for v in versions])
    snapshot = {
        "schema": "workflowos.dsa-submission/v1",
        "assessment": a.reference,
        "scope": [
            {
                "workflow_id": v.workflow_id,
                "name": v.workflow.name,
                "version": {"id": v.pk, "number": v.number, "content_hash": v.content_hash},
            }
            for v in versions
        ],
        "criteria": {},
    }
    sub = Submission.objects.create(
        assessment=a, number=1, snapshot=snapshot, snapshot_hash=content_hash(snapshot), submitted_by=admin
    )
    if decided:
        CriterionScore.objects.create(
            assessment=a,
            criterion="PSF-1.1",
            score=4,
            comment="Injection filter on every path.",
            scored_by=assessor,
        )
        CriterionScore.objects.create(
            assessment=a, criterion="PSF-2.1", score=3, comment=HOSTILE, scored_by=assessor
        )
        a.domain_scores = {"PSF-1": 4.0, "PSF-2": 3.0}
        a.computed_passed = True
        a.decided_by = assessor
        a.decided_at = timezone.now()
        a.save()
    return sub
