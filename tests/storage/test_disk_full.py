"""A real full disk (a tiny tmpfs as MEDIA_ROOT): each kind of artefact tells the user storage is
full, no job ends as "internal error (OSError)", and no partial file remains."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import EvidenceItem
from evidence.models import ExportJob
from simulations.models import SimulationRun
from tests.assessments import helpers as ah
from tests.evidence import helpers as eh
from tests.storage.conftest import files_under

pytestmark = pytest.mark.django_db

BIG_TEXT = (
    "A line of evidence, repeated until it is bigger than what is left on the disk.\n" * 2000
).encode()


def test_an_upload_to_a_full_disk_is_a_form_error(personas, client_for, full_disk):
    a = ah.preparing(personas)
    resp = client_for(personas.pat).post(
        f"/assessments/{a.pk}/evidence/add/",
        {
            "criterion": "PSF-5.3",
            "kind": "file",
            "title": "",
            "note": "",
            "file": SimpleUploadedFile("runbook.txt", BIG_TEXT, content_type="text/plain"),
        },
    )
    body = resp.content.decode()
    assert resp.status_code == 507, body[:500]
    assert "Storage is full: the file was not saved." in body and 'name="file"' in body  # the form again
    assert not EvidenceItem.objects.filter(assessment=a, kind="file").exists()
    assert files_under(full_disk) == ["filler"]


def test_an_export_to_a_full_disk_fails_with_a_true_message(personas, full_disk):
    wf = eh.make_workflow(personas.acme, personas.pat)
    job = eh.export_now(personas.acme, personas.pat, [eh.head(wf)])
    assert job.status == ExportJob.FAILED
    assert "Storage is full: the file was not saved." in job.error and "internal error" not in job.error
    assert files_under(full_disk) == ["filler"]  # neither the PDF nor a partial one


def test_a_simulation_on_a_full_disk_fails_with_a_true_message(personas, full_disk):
    from simulations.services import simulation_execute, simulation_start
    from studio.services import workflow_from_template

    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Help-centre assistant"
    )
    run = simulation_start(workflow=wf, user=personas.pat, n=20_000, seed=3, enqueue=False)
    run = simulation_execute(run_id=run.pk)
    assert run.status == SimulationRun.FAILED and not run.journal_name
    assert "Storage is full: the file was not saved." in run.error and "internal error" not in run.error
    assert files_under(full_disk) == ["filler"]


def test_once_space_is_freed_the_same_upload_works(personas, client_for, full_disk):
    (full_disk / "filler").unlink()
    a = ah.preparing(personas)
    resp = client_for(personas.pat).post(
        f"/assessments/{a.pk}/evidence/add/",
        {"criterion": "PSF-5.3", "kind": "file", "file": SimpleUploadedFile("runbook.txt", BIG_TEXT)},
    )
    assert resp.status_code == 302
    item = EvidenceItem.objects.get(assessment=a, kind="file")
    assert (full_disk / "media" / "evidence" / item.storage_name).read_bytes() == BIG_TEXT
    assert Path(full_disk / "media").is_dir()
