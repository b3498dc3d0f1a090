"""Evidence uploads through the page, and downloads through the access-checked view."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import EvidenceItem
from tests.assessments import helpers as h
from tests.assessments.files import DOCX, EXE, PDF

pytestmark = pytest.mark.django_db


def upload(client, a, name: str, data: bytes, criterion: str = "PSF-5.3"):
    return client.post(
        f"/assessments/{a.pk}/evidence/add/",
        {
            "criterion": criterion,
            "kind": "file",
            "title": "",
            "note": "",
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
    )


def test_valid_pdf_is_stored_privately_with_its_hash(personas, client_for, settings):
    a = h.preparing(personas)
    resp = upload(client_for(personas.pat), a, "runbook.pdf", PDF)
    assert resp.status_code == 302
    item = EvidenceItem.objects.get(assessment=a, kind="file")
    assert item.sha256 == hashlib.sha256(PDF).hexdigest() and item.size == len(PDF)
    assert item.content_type == "application/pdf" and item.original_name == "runbook.pdf"
    stored = Path(settings.MEDIA_ROOT) / "evidence" / item.storage_name
    assert stored.read_bytes() == PDF
    assert "runbook" not in item.storage_name and len(item.storage_name) == 32
    assert not str(stored).startswith(str(Path(settings.STATIC_ROOT)))


def test_docx_is_typed_by_content(personas, client_for):
    a = h.preparing(personas)
    assert upload(client_for(personas.pat), a, "policy.docx", DOCX).status_code == 302
    assert EvidenceItem.objects.get(assessment=a).content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    "name, data, status, message",
    [
        ("invoice.pdf", EXE, 400, "Windows executable"),
        ("empty.pdf", b"", 400, "The file is empty"),
        ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 400, "not a PDF"),
        ("C:evil.pdf", PDF, 400, "looks like a path"),
        ("..\u2025evil.pdf", PDF, 400, "looks like a path"),
    ],
)
def test_refused_uploads_say_why(personas, client_for, name, data, status, message):
    a = h.preparing(personas)
    resp = upload(client_for(personas.pat), a, name, data)
    body = resp.content.decode()
    assert resp.status_code == status, body[:300]
    assert message in body or message in body.replace("&quot;", '"')
    assert not EvidenceItem.objects.filter(assessment=a).exists()


def test_oversized_upload_is_refused(personas, client_for, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    a = h.preparing(personas)
    resp = upload(client_for(personas.pat), a, "big.pdf", PDF + b"%" * 2000)
    assert resp.status_code == 413 and "the limit is 0 MB" not in resp.content.decode()
    assert "limit" in resp.content.decode()
    assert not EvidenceItem.objects.filter(assessment=a).exists()
    assert not list((Path(settings.MEDIA_ROOT) / "evidence").glob("*"))


def test_path_traversal_name_never_reaches_the_disk(personas, client_for, settings):
    """Django keeps only the last path component of a multipart file name, our check refuses the
    rest, and storage uses a random name: nothing lands outside MEDIA_ROOT/evidence."""
    a = h.preparing(personas)
    boundary = "XxBOUNDARYxX"
    c = client_for(personas.pat)
    token_page = c.get(f"/assessments/{a.pk}/evidence/add/")
    assert token_page.status_code == 200
    parts = [
        ("criterion", "PSF-5.3"),
        ("kind", "file"),
    ]
    body = b""
    for k, v in parts:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../../../tmp/evil.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    resp = c.generic(
        "POST",
        f"/assessments/{a.pk}/evidence/add/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert resp.status_code in (302, 400)
    for item in EvidenceItem.objects.filter(assessment=a):
        assert "/" not in item.original_name and ".." not in item.original_name
        assert (Path(settings.MEDIA_ROOT) / "evidence" / item.storage_name).exists()
    assert not Path("/tmp/evil.pdf").exists() or Path("/tmp/evil.pdf").read_bytes() != PDF


def test_download_is_an_attachment_with_nosniff(personas, client_for):
    a = h.with_evidence(personas, h.preparing(personas))
    item = EvidenceItem.objects.get(assessment=a, kind="file")
    url = f"/assessments/{a.pk}/evidence/{item.pk}/download/"
    resp = client_for(personas.pat).get(url)
    assert resp.status_code == 200
    assert (
        resp["Content-Disposition"].startswith("attachment;") and "runbook.pdf" in resp["Content-Disposition"]
    )
    assert resp["X-Content-Type-Options"] == "nosniff" and resp["Content-Type"] == "application/pdf"
    assert "private" in resp["Cache-Control"]
    assert b"".join(resp.streaming_content) == PDF
    # another organisation, an unassigned assessor, anonymous
    assert client_for(personas.gus).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_unassigned_assessor_cannot_download(personas, client_for, django_user_model):
    other = django_user_model.objects.create_user("bea@workflowos.example", "pw-123456789", is_assessor=True)
    a = h.with_evidence(personas, h.preparing(personas))
    item = EvidenceItem.objects.get(assessment=a, kind="file")
    url = f"/assessments/{a.pk}/evidence/{item.pk}/download/"
    assert client_for(other).get(url).status_code == 404
    assert client_for(personas.ada).get(url).status_code == 200
    assert client_for(personas.root).get(url).status_code == 200


def test_tampered_file_is_not_served(personas, client_for, settings):
    a = h.with_evidence(personas, h.preparing(personas))
    item = EvidenceItem.objects.get(assessment=a, kind="file")
    (Path(settings.MEDIA_ROOT) / "evidence" / item.storage_name).write_bytes(PDF + b"changed")
    resp = client_for(personas.pat).get(f"/assessments/{item.assessment_id}/evidence/{item.pk}/download/")
    assert resp.status_code == 409 and "SHA-256" in resp.content.decode()
