"""Benchmark of the evidence export: a 3-workflow pack (about 25 pages) rendered by the whole job
against WeasyPrint alone on the same final HTML.

Run: ``.venv/bin/python bench/export.py [--repeat 3] [--keep DIR]``.

It sets up a throw-away instance (SQLite under a temporary WORKFLOWOS_VAR_DIR): the PSF rubric,
the demo organisations, three workflows from the templates with stored analyses and a finished
simulation each. Then, alternating, it times

* the whole job, ``export_run`` (gather the data, diagrams and charts, render the template, lay
  out and write the PDF, sign and write the bundle, update the row), and
* WeasyPrint alone: ``weasyprint.HTML(string=final_html).write_pdf()`` with the default fetcher,

and prints the medians, their ratio (target ≤ 1.3) and the job time (target ≤ 8 s). ``--keep``
copies the last PDF and bundle to DIR (to look at the pages with ``pdftoppm``).
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

TARGET_RATIO = 1.3
TARGET_SECONDS = 8.0
TEMPLATES = [
    ("rag-assistant", "Customer help-centre assistant"),
    ("document-extraction", "Invoice data extraction"),
    ("high-stakes-decision", "Credit-limit decision support"),
]


def setup_instance(var_dir: str) -> tuple[object, list[object]]:
    """A fresh database with Acme AI, three workflows, their analyses and one simulation each."""
    os.environ["WORKFLOWOS_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

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
    org.brand_name = "Acme AI · assured by Northwind Advisory"
    org.brand_colour = "#0f766e"
    org.save()
    user = User.objects.get(email="pat@acme.example")
    workflows = []
    for seed, (slug, name) in enumerate(TEMPLATES, start=1):
        wf = workflow_from_template(organisation=org, author=user, slug=slug, name=name)
        version = version_get(workflow=wf)
        analysis_for_version(version=version)
        report = simulate(parse_document(version.document), n=20_000, seed=seed).to_data()
        SimulationRun.objects.create(
            organisation=org,
            workflow=wf,
            version=version,
            workflow_hash=version.content_hash,
            catalogue_version=report["params"]["catalogue"]["hash"][:16],
            seed=seed,
            n=20_000,
            params=report["params"]["simulation"],
            status=SimulationRun.DONE,
            progress_done=20_000,
            report=report,
            report_hash=sha256_hex(canonical_json(report)),
            passed=report["verdict"]["pass"],
        )
        workflows.append(wf)
    return user, workflows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median reported)")
    parser.add_argument("--keep", metavar="DIR", help="copy the last PDF and bundle here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wfos-bench-export-") as var_dir:
        user, workflows = setup_instance(var_dir)

        import weasyprint

        from evidence.models import ExportJob
        from evidence.services import export_path, export_request, export_run, render_pack
        from lib.pdf import static_base_url
        from studio.selectors import version_get

        org = workflows[0].organisation  # type: ignore[attr-defined]
        versions = [version_get(workflow=wf) for wf in workflows]

        def new_job() -> ExportJob:
            return export_request(organisation=org, user=user, versions=versions, enqueue=False)

        # Warm-up: imports, fonts, templates, the catalogue (a worker process does this once).
        warm = new_job()
        export_run(job_id=warm.pk)
        html = render_pack(job=warm).html

        job_times: list[float] = []
        alone_times: list[float] = []
        job_cpu: list[float] = []
        alone_cpu: list[float] = []
        job = warm
        for _ in range(args.repeat):
            job = new_job()
            started, cpu = time.perf_counter(), time.process_time()
            done = export_run(job_id=job.pk)
            job_times.append(time.perf_counter() - started)
            job_cpu.append(time.process_time() - cpu)
            assert done is not None and done.status == ExportJob.DONE, done and done.error

            started, cpu = time.perf_counter(), time.process_time()
            weasyprint.HTML(string=html, base_url=static_base_url()).write_pdf()
            alone_times.append(time.perf_counter() - started)
            alone_cpu.append(time.process_time() - cpu)

        job.refresh_from_db()
        job_s = statistics.median(job_times)
        alone_s = statistics.median(alone_times)
        ratio = job_s / alone_s
        print(
            f"pack: {len(versions)} workflows, {job.page_count} pages, PDF {job.pdf_size / 1024:.0f} KiB, bundle {job.bundle_size / 1024:.0f} KiB"
        )
        print(
            f"whole job (export_run):   median {job_s:.2f} s  runs {', '.join(f'{t:.2f}' for t in job_times)}"
        )
        print(
            f"WeasyPrint alone (same HTML): median {alone_s:.2f} s  runs {', '.join(f'{t:.2f}' for t in alone_times)}"
        )
        print(
            f"CPU time of this process: job {statistics.median(job_cpu):.2f} s, WeasyPrint alone "
            f"{statistics.median(alone_cpu):.2f} s (load average {os.getloadavg()[0]:.1f}: other work shares the cores)"
        )
        print(
            f"ratio job / WeasyPrint: {ratio:.2f} (target ≤ {TARGET_RATIO})  {'OK' if ratio <= TARGET_RATIO else 'MISSED'}"
        )
        print(
            f"job time: {job_s:.2f} s (target ≤ {TARGET_SECONDS:.0f} s)  {'OK' if job_s <= TARGET_SECONDS else 'MISSED'}"
        )
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(export_path(job.pdf_name), keep / "evidence-pack.pdf")
            shutil.copy(export_path(job.bundle_name), keep / "evidence-bundle.zip")
            (keep / "evidence-pack.html").write_text(html, encoding="utf-8")
            print(f"kept in {keep}/")
        ok = ratio <= TARGET_RATIO and job_s <= TARGET_SECONDS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
