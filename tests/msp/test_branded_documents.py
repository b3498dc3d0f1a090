"""Branding applied where PRODUCT.md §12 says (evidence packs, gap reports, the document badge's
header, e-mails to the organisation's members) and nowhere else: the public trust-mark record
stays the issuer's."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.msp.branding_helpers import image_bytes

pytestmark = pytest.mark.django_db

BRAND = "Acme Assurance Partners"
COLOUR = "#7c2d12"


@pytest.fixture
def isolated_files(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"


def brand(org, *, logo: bool = True) -> None:
    org.brand_name = BRAND
    org.brand_colour = COLOUR
    if logo:
        org.brand_logo = image_bytes("PNG", (240, 80), (14, 116, 144))
        org.brand_logo_type = "image/png"
    org.save()


def _pdf_text(data: bytes, page: int | None = None) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    chosen = [pages[page]] if page is not None else list(pages)
    return "\n".join(p.extract_text() or "" for p in chosen)


def _first_page_images(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages[0].images)


def _keep_first_page_png(data: bytes, name: str) -> None:
    """With WORKFLOWOS_KEEP_RENDERS set, keep the PDF and its first page as PNG to look at
    (pdftoppm, or pypdfium2 where poppler is not installed)."""
    keep = os.environ.get("WORKFLOWOS_KEEP_RENDERS")
    if not keep:
        return
    out = Path(keep)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(out / f"{name}.pdf"),
                str(out / name),
            ],
            check=True,
        )
        return
    pdfium = pytest.importorskip("pypdfium2")
    pdfium.PdfDocument(data)[0].render(scale=70 / 72).to_pil().save(out / f"{name}.png")


def test_the_evidence_pack_is_branded_and_its_content_hash_unchanged(personas, isolated_files):
    from evidence.services import render_pack
    from tests.evidence.helpers import export_now, head, make_workflow, stored

    wf = make_workflow(personas.acme, personas.pat, "Claims triage")
    plain_job = export_now(personas.acme, personas.pat, [head(wf)])
    plain_pdf = stored(plain_job, "pdf")
    brand(personas.acme)
    job = export_now(personas.acme, personas.pat, [head(wf)])
    pdf = stored(job, "pdf")

    assert job.content_hash == plain_job.content_hash  # branding is presentation only
    cover = _pdf_text(pdf, 0)
    assert BRAND in cover and "Acme AI" in cover
    assert BRAND not in _pdf_text(plain_pdf, 0)
    assert _first_page_images(pdf) == _first_page_images(plain_pdf) + 1  # the logo
    rendered = render_pack(job=job)
    assert not rendered.refused  # the logo was served, nothing was refused
    assert COLOUR in rendered.html and 'src="data:image/png;base64,' in rendered.html
    _keep_first_page_png(pdf, "evidence-pack")


@pytest.fixture
def failed(personas):
    from assessments import services
    from tests.assessments import helpers as h

    a = h.in_review(personas)
    h.score_all(a, personas.ada, h.failing_scores())
    services.assessment_decide(assessment=a, actor=personas.ada, outcome="fail")
    a.refresh_from_db()
    return a


def test_the_gap_report_page_and_pdf_are_branded(personas, client_for, failed):
    brand(personas.acme)
    page = client_for(personas.alice).get(f"/assessments/{failed.pk}/gap-report/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="brand-header"' in html and BRAND in html
    assert f'fill="{COLOUR}"' in html and 'src="data:image/png;base64,' in html
    assert (
        "style=" not in html.split('data-testid="brand-header"')[1].split("</div>")[0]
    )  # CSP: no inline style

    resp = client_for(personas.alice).get(f"/assessments/{failed.pk}/gap-report.pdf")
    assert resp.status_code == 200
    assert BRAND in _pdf_text(resp.content, 0)
    assert _first_page_images(resp.content) >= 1  # the logo was let through
    _keep_first_page_png(resp.content, "gap-report")


def test_the_document_badge_has_a_branded_header_and_the_web_badges_do_not(
    personas, client_for, rubric_version
):
    from tests.trustmarks.helpers import issue_mark

    mark = issue_mark(personas, rubric_version)
    c = client_for(None)
    plain = c.get(f"/trust-marks/{mark.mark_id}/badge.pdf")
    assert plain.status_code == 200 and BRAND not in _pdf_text(plain.content)
    brand(personas.acme)
    branded = c.get(f"/trust-marks/{mark.mark_id}/badge.pdf")  # the cache key follows the branding
    _keep_first_page_png(branded.content, "document-badge")
    text = _pdf_text(branded.content)
    assert BRAND in text and "PAI PRODUCTION SAFE" in text  # the card stays the issuer's
    assert len(PdfReader(io.BytesIO(branded.content)).pages) == 1  # the header fits on the page
    assert _first_page_images(branded.content) == _first_page_images(plain.content) + 1
    for fmt in ("svg", "png"):
        assert BRAND.encode() not in c.get(f"/trust-marks/{mark.mark_id}/badge.{fmt}").content


def test_the_public_trust_mark_record_is_never_branded(personas, client_for, rubric_version):
    from tests.trustmarks.helpers import issue_mark

    mark = issue_mark(personas, rubric_version)
    brand(personas.acme)
    html = client_for(None).get(f"/verify/{mark.mark_id}").content.decode()
    assert BRAND not in html and "data:image/png;base64" not in html and COLOUR not in html
    assert "Acme AI" in html  # the company as the issuer recorded it


def test_emails_to_members_carry_the_brand_name(
    personas, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from tests.assessments.helpers import applied

    brand(personas.acme)
    # An assessment event: mail to Acme's admins is branded, mail to assessors is not.
    with django_capture_on_commit_callbacks(execute=True):
        applied(personas)
    to_org = [m for m in mailoutbox if "alice@acme.example" in m.to]
    to_assessors = [m for m in mailoutbox if "ada@workflowos.example" in m.to]
    assert to_org and to_assessors
    assert to_org[0].from_email.startswith(f"{BRAND} via ") and "Sent for " + BRAND in to_org[0].body
    assert to_assessors[0].from_email == settings.DEFAULT_FROM_EMAIL and BRAND not in to_assessors[0].body

    # A membership e-mail (role change) to a member.
    from accounts.models import Membership

    pat = Membership.objects.get(user=personas.pat, organisation=personas.acme)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(personas.alice).post(f"/organisation/members/{pat.pk}/role/", {"role": "admin"})
    assert resp.status_code == 302
    (mail,) = [m for m in mailoutbox if "pat@acme.example" in m.to]
    assert mail.from_email.startswith(f"{BRAND} via ") and f"Sent for {BRAND}." in mail.body


def test_a_hostile_brand_name_cannot_add_mail_headers(personas):
    from accounts.emails import sender_for

    personas.acme.brand_name = "Evil\r\nBcc: victim@example.org"
    assert "\n" not in sender_for(personas.acme) and "\r" not in sender_for(personas.acme)
