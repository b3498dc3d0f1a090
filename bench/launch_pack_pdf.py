"""Benchmark of the MSP launch pack and monthly governance report PDFs for a realistic client.

Run: ``.venv/bin/python bench/launch_pack_pdf.py [--workflows 12] [--repeat 5] [--keep DIR]``.

A throw-away instance (SQLite under a temporary WORKFLOWOS_VAR_DIR) gets the PSF rubric, the demo
organisations and, for Acme AI, ``--workflows`` workflows from the studio templates (every
template in turn, the deliberately unguarded one included, so the control plan is long) with
stored analyses and a finished simulation for every third. Then it times what the worker does
for one request (gather the data, render the template, lay out and write the PDF, store it) and
prints the medians (wall-clock and CPU: on a busy machine the CPU time is the fairer figure) and
page counts against the 1 s budget a synchronous download would have.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_SECONDS = 1.0
TEMPLATES = [
    "rag-assistant",
    "support-agent-tools",
    "document-extraction",
    "email-triage",
    "high-stakes-decision",
    "internal-knowledge-search",
    "code-assistant",
    "demo-unguarded-agent",
]


def setup_instance(var_dir: str, workflows: int) -> tuple[object, object]:
    os.environ["WORKFLOWOS_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from accounts import demo as accounts_demo
    from accounts.models import Organisation, User
    from lib.canonical import canonical_json, sha256_hex
    from psf.rubric import CURRENT_RUBRIC_PATH
    from psf.services import rubric_load
    from simulations.models import SimulationRun
    from simulator.engine import simulate
    from studio.analysis_service import analysis_for_version
    from studio.format import parse_document
    from studio.selectors import version_get
    from studio.services import workflow_from_template

    rubric_load(path=CURRENT_RUBRIC_PATH)
    accounts_demo.seed([])
    org = Organisation.objects.get(slug="acme-ai")
    org.brand_colour = "#0f766e"
    org.save()
    user = User.objects.get(email="pat@acme.example")
    for i in range(workflows):
        slug = TEMPLATES[i % len(TEMPLATES)]
        wf = workflow_from_template(organisation=org, author=user, slug=slug, name=f"{slug} #{i + 1}")
        version = version_get(workflow=wf)
        analysis_for_version(version=version)
        if i % 3 == 0:
            report = simulate(parse_document(version.document), n=5_000, seed=i).to_data()
            SimulationRun.objects.create(
                organisation=org,
                workflow=wf,
                version=version,
                workflow_hash=version.content_hash,
                catalogue_version="1",
                seed=i,
                n=5_000,
                params=report["params"]["simulation"],
                status=SimulationRun.DONE,
                progress_done=5_000,
                report=report,
                report_hash=sha256_hex(canonical_json(report)),
                passed=report["verdict"]["pass"],
                finished=timezone.now(),
            )
    return org, User.objects.get(email="mia@msp.example")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="bench-launchpack-")
    try:
        org, mia = setup_instance(var_dir, args.workflows)
        from django.utils import timezone

        from lib import artefacts
        from msp.models import PdfRender
        from msp.pdf_jobs import pdf_render_request, pdf_render_run

        def render(kind: str) -> tuple[bytes, int]:
            """What the worker does for one request: gather, template, lay out, write, store."""
            month = timezone.localdate().replace(day=1) if kind == PdfRender.MONTHLY_REPORT else None
            job = pdf_render_request(organisation=org, user=mia, kind=kind, month=month, enqueue=False)  # type: ignore[arg-type]
            done = pdf_render_run(job_id=job.pk)
            assert done is not None and done.status == PdfRender.DONE, done and done.error
            with artefacts.open_verified("launchpacks", done.pdf_name, sha256=done.pdf_sha256) as fh:
                return bytes(fh.read()), done.pages

        def pack() -> tuple[bytes, int]:
            return render(PdfRender.LAUNCH_PACK)

        def monthly() -> tuple[bytes, int]:
            return render(PdfRender.MONTHLY_REPORT)

        pack()  # warm-up: imports, font configuration
        for name, fn in (("launch pack", pack), ("monthly report", monthly)):
            times, cpu, pages, pdf = [], [], 0, b""
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                pdf, pages = fn()
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            median = statistics.median(times)
            verdict = "within" if median <= BUDGET_SECONDS else "over"
            print(
                f"{name}: {args.workflows} workflows, {pages} pages, {len(pdf) // 1024} KiB, "
                f"median {median:.2f} s wall, {statistics.median(cpu):.2f} s CPU over {args.repeat} runs "
                f"({verdict} the {BUDGET_SECONDS:.0f} s budget)"
            )
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{name.replace(' ', '-')}.pdf").write_bytes(pdf)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
