"""Benchmark of the MSP launch pack and monthly governance report PDFs for a realistic client.

Run: ``.venv/bin/python bench/launch_pack_pdf.py [--workflows 12] [--repeat 5] [--keep DIR]``.

A throw-away instance (SQLite under a temporary WORKFLOWOS_VAR_DIR) gets the PSF rubric, the demo
organisations and, for Acme AI, ``--workflows`` workflows from the studio templates (every
template in turn, the deliberately unguarded one included, so the control plan is long) with
stored analyses and a finished simulation for every third. Then it times, as the views do,
gathering the data, rendering the template and laying out the PDF; prints the medians and page
counts against the 1 s budget for a synchronous download (else it should become a job).
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

        from lib.pdf import render_pdf, static_base_url
        from msp.launchpack import launch_pack_for, monthly_report_for
        from msp.launchpack_views import _LAYOUT_WHITESPACE, launch_pack_pdf_html, monthly_report_pdf_html

        def pack() -> tuple[bytes, int]:
            html = launch_pack_pdf_html(launch_pack_for(organisation=org, user=mia))  # type: ignore[arg-type]
            r = render_pdf(_LAYOUT_WHITESPACE.sub("><", html), base_url=static_base_url())
            return r.pdf, r.pages

        def monthly() -> tuple[bytes, int]:
            report = monthly_report_for(organisation=org, month=timezone.localdate(), user=mia)  # type: ignore[arg-type]
            r = render_pdf(
                _LAYOUT_WHITESPACE.sub("><", monthly_report_pdf_html(report)), base_url=static_base_url()
            )
            return r.pdf, r.pages

        pack()  # warm-up: imports, font configuration
        for name, fn in (("launch pack", pack), ("monthly report", monthly)):
            times, pages, pdf = [], 0, b""
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                pdf, pages = fn()
                times.append(time.perf_counter() - t0)
            median = statistics.median(times)
            verdict = "within" if median <= BUDGET_SECONDS else "OVER"
            print(
                f"{name}: {args.workflows} workflows, {pages} pages, {len(pdf) // 1024} KiB, "
                f"median {median:.2f} s over {args.repeat} runs ({verdict} the {BUDGET_SECONDS:.0f} s budget)"
            )
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{name.replace(' ', '-')}.pdf").write_bytes(pdf)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
