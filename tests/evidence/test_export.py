"""The evidence pack end to end: the PDF's sections and appendix, the signed bundle and
``workflowos verify-bundle``, escaping of user text, the job's life."""

from __future__ import annotations

import io
import json
import zipfile
from unittest import mock

import pytest
from pypdf import PdfReader

from evidence.models import ExportJob
from lib.canonical import canonical_json
from tests.evidence.helpers import (
    HOSTILE,
    add_simulation,
    export_now,
    head,
    make_workflow,
    pdf_pages,
    squeeze,
    stored,
)
from workflowos.cli import main as cli

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pack(django_db_setup, django_db_blocker, tmp_path_factory):
    """One export of two Acme workflows (one with a finished simulation and a hostile label),
    rendered once for the module inside a transaction that is rolled back at the end."""
    from django.db import transaction
    from django.test import override_settings

    from accounts import demo
    from accounts.models import Organisation, User
    from evidence import services
    from lib.instance_keys import instance_ring

    files = tmp_path_factory.mktemp("evidence-pack")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=files / "media", SIGNING_KEYS_DIR=files / "keys"),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # A transactional test that ran before on this worker may have flushed the rubric.
            from psf.rubric import CURRENT_RUBRIC_PATH
            from psf.selectors import rubric_version_current
            from psf.services import rubric_load

            if rubric_version_current() is None:
                rubric_load(path=CURRENT_RUBRIC_PATH)
            demo.seed([])
            acme, pat = Organisation.objects.get(slug="acme-ai"), User.objects.get(email="pat@acme.example")
            hostile = make_workflow(acme, pat, "Support bot", first_label=HOSTILE)
            plain = make_workflow(acme, pat, "Claims triage")
            run = add_simulation(head(hostile))
            renders = []
            real = services.render_pack

            def recording(**kwargs):
                renders.append(real(**kwargs))
                return renders[-1]

            with mock.patch.object(services, "render_pack", recording):
                job = export_now(acme, pat, [head(hostile), head(plain)])
            pdf = stored(job, "pdf")
            yield {
                "render": renders[0],
                "pages": pdf_pages(pdf),
                "job": job,
                "run": run,
                "hostile": hostile,
                "plain": plain,
                "pdf": pdf,
                "zip": stored(job, "zip"),
                "jwks": instance_ring().jwks(),
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = cli(["verify-bundle", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_pdf_has_every_section_page_numbers_and_an_outline(pack):
    job = pack["job"]
    assert job.status == ExportJob.DONE and job.progress == 100 and job.error == ""
    pdf = pack["pdf"]
    assert job.pdf_size == len(pdf) and job.page_count == len(PdfReader(io.BytesIO(pdf)).pages) >= 8
    pages = pack["pages"]
    text = "\n".join(pages)

    cover = pages[0]
    assert "Acme AI" in cover and "PSF v1.1" in cover and "Scope" in cover and "Date" in cover
    assert job.content_hash in squeeze(cover)
    assert "Contents" in pages[1]
    for section in (
        "Scope and summary",
        "1. Workflow: Claims triage",
        "2. Workflow: Support bot",
        "Facts",
        "Diagram",
        "Steps and configuration",
        "PSF analysis",
        "Findings by domain",
        "Remediation:",
        "Coverage matrix",
        "Simulation results",
        "Verdict:",
        "Escape rate per PSF domain",
        "Scenario × control matrix",
        "Parameters to reproduce",
        "Appendix: artefacts and SHA-256",
    ):
        assert section in text, section
    assert "No finished simulation of this version" in text  # Claims triage has none
    assert f"--seed {pack['run'].seed}" in text and f"--runs {pack['run'].n}" in text
    assert f"Page 2 of {job.page_count}" in pages[1]  # running footer, not on the cover
    assert "Page 1 of" not in cover
    outline = [item.title for item in PdfReader(io.BytesIO(pdf)).outline if not isinstance(item, list)]
    assert "Appendix: artefacts and SHA-256" in outline


def test_the_appendix_lists_every_artefact_with_the_hash_in_the_signed_manifest(pack):
    job = pack["job"]
    bundle = zipfile.ZipFile(io.BytesIO(pack["zip"]))
    manifest = json.loads(bundle.read("manifest.json"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    appendix = squeeze("\n".join(p for p in pack["pages"] if "Appendix: artefacts" in p or "SHA-256" in p))

    artefacts = {path: sha for path, sha in listed.items() if path not in ("evidence.pdf", "pack.json")}
    assert {p.split("/")[0] for p in artefacts} == {"workflows", "analyses", "simulations"}
    assert len(artefacts) == 2 + 2 + 2  # two workflows, two analyses, one report and its parameters
    for path, sha in artefacts.items():
        assert squeeze(path) in appendix and sha in appendix, path
    assert listed["evidence.pdf"] == job.pdf_sha256
    # canonical JSON: a workflow file's hash is the version's content hash, a report's its report hash
    hostile_version = head(pack["hostile"])
    assert listed[f"workflows/workflow-{hostile_version.workflow_id}-v1.json"] == hostile_version.content_hash
    assert listed[f"simulations/simulation-{pack['run'].pk}-report.json"] == pack["run"].report_hash
    index = json.loads(bundle.read("pack.json"))
    assert index["content_hash"] == job.content_hash
    assert (
        json.loads(bundle.read(f"workflows/workflow-{hostile_version.workflow_id}-v1.json"))
        == hostile_version.document
    )


def test_the_bundle_verifies_and_a_tampered_one_fails_naming_the_file(pack, tmp_path, capsys):
    job = pack["job"]
    good = tmp_path / "pack.zip"
    good.write_bytes(pack["zip"])
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(pack["jwks"]))

    code, out = _cli(capsys, str(good), "--jwks", str(jwks))
    assert code == 0, out
    assert job.signing_kid in out

    with zipfile.ZipFile(good) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    target = next(p for p in entries if p.startswith("analyses/"))
    data = json.loads(entries[target])
    data["passed"] = not data["passed"]
    entries[target] = canonical_json(data).encode()
    bad = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)

    code, out = _cli(capsys, str(bad), "--jwks", str(jwks))
    assert code == 1
    assert f"altered: {target}" in out


def test_user_text_is_escaped_and_nothing_is_fetched(pack):
    text = "\n".join(pack["pages"])
    assert HOSTILE in text  # printed as text (steps table, configuration notes)
    assert "root:x:0" not in text and b"root:x:0" not in pack["pdf"]

    render = pack["render"]
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in render.html
    assert '<img src="file:///etc/passwd">' not in render.html
    assert render.refused == []  # the escaped label never reached the fetcher
    assert [url.rsplit("/", 2)[-2:] for url in render.served] == [["pdf", "evidence.css"]]


def test_a_finished_job_is_left_alone_when_the_task_comes_again(pack, db):
    from evidence.services import export_run
    from evidence.tasks import export_render_task

    job = pack["job"]
    before = (job.pdf_sha256, job.finished)
    export_render_task.apply(args=[job.pk])  # a re-delivered message (acks late)
    again = export_run(job_id=job.pk)
    assert again.status == ExportJob.DONE and (again.pdf_sha256, again.finished) == before


def test_a_failure_is_recorded_not_raised(personas, monkeypatch):
    from evidence import services

    wf = make_workflow(personas.acme, personas.pat)
    job = services.export_request(
        organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False
    )

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "build_pack", broken)
    done = services.export_run(job_id=job.pk)
    assert done.status == ExportJob.FAILED and "internal error (RuntimeError)" in done.error
    assert done.finished is not None


def test_the_task_is_queued_after_commit_and_a_dead_queue_fails_the_job(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from evidence import services
    from evidence.tasks import export_render_task
    from lib.errors import DomainError

    sent = []
    monkeypatch.setattr(export_render_task, "apply_async", lambda args, task_id: sent.append((args, task_id)))
    wf = make_workflow(personas.acme, personas.pat)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)])
    job.refresh_from_db()
    assert sent == [([job.pk], job.task_id)] and job.status == ExportJob.QUEUED

    def down(args, task_id):
        raise OperationalError("broker down")

    monkeypatch.setattr(export_render_task, "apply_async", down)
    with pytest.raises(DomainError) as exc, django_capture_on_commit_callbacks(execute=True):
        second = services.export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)])
    assert exc.value.status == 503
    second = ExportJob.objects.order_by("-pk").first()
    assert second.status == ExportJob.FAILED and "queue is unavailable" in second.error


def test_only_the_organisations_own_versions_can_be_exported(personas):
    from evidence.services import export_request
    from lib.errors import DomainError

    theirs = make_workflow(personas.globex, personas.gus, "Globex secret")
    before = ExportJob.objects.count()
    with pytest.raises(DomainError) as exc:
        export_request(organisation=personas.acme, user=personas.pat, versions=[head(theirs)], enqueue=False)
    assert exc.value.status == 404
    assert ExportJob.objects.count() == before
