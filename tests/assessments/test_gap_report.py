from __future__ import annotations

import io

import pytest

from assessments import services
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db

EVIL = '<img src="http://attacker.example/x.png"><script>alert(1)</script>'


@pytest.fixture
def failed(personas):
    a = h.in_review(personas)
    h.score_all(a, personas.ada, h.failing_scores(), comment=EVIL)
    services.assessment_decide(assessment=a, actor=personas.ada, outcome="fail")
    a.refresh_from_db()
    return a


def test_gap_report_page_lists_criteria_not_met_escaped(personas, client_for, failed):
    resp = client_for(personas.pat).get(f"/assessments/{failed.pk}/gap-report/")
    page = resp.content.decode()
    assert (
        resp.status_code == 200 and "private" in resp["Cache-Control"] and "noindex" in resp["X-Robots-Tag"]
    )
    assert (
        "Confidential" in page
        and "PSF-4.1" in page
        and "PSF-7.2" in page
        and "PSF-1.1" not in page.split("Criteria not met")[1]
    )
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Evidence that would be needed" in page and "Monitoring screenshot" in page


def test_gap_report_pdf_renders_without_fetching_anything(personas, client_for, failed, monkeypatch):
    from pypdf import PdfReader

    from trustmarks import badges

    seen = {}
    real = badges.html_to_pdf

    def spy(document, **kw):
        pdf, refused = real(document, **kw)
        seen["refused"], seen["html"] = refused, document
        return pdf, refused

    monkeypatch.setattr(badges, "html_to_pdf", spy)
    resp = client_for(personas.alice).get(f"/assessments/{failed.pk}/gap-report.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("attachment;")
    assert resp.content.startswith(b"%PDF")
    assert seen["refused"] == []  # the comment's <img> was text, never a URL to fetch
    assert "&lt;img src=" in seen["html"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages)
    assert "PSF-4.1" in text and "Confidential" in text and "<script>" in text


def test_gap_report_is_confidential(personas, client_for, failed, django_user_model):
    url = f"/assessments/{failed.pk}/gap-report/"
    other_assessor = django_user_model.objects.create_user(
        "bea@workflowos.example", "pw-123456789", is_assessor=True
    )
    assert client_for(personas.gus).get(url).status_code == 404
    assert client_for(personas.gus).get(url.replace("/gap-report/", "/gap-report.pdf")).status_code == 404
    assert client_for(other_assessor).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert client_for(personas.ada).get(url).status_code == 200
    assert client_for(personas.root).get(url).status_code == 200
    # never in the API, not even for the organisation itself
    body = client_for(personas.pat).get(f"/api/assessments/{failed.pk}/").content.decode()
    assert (
        "has_gap_report" in body
        and "Only a screenshot" not in body
        and "alert(1)" not in body
        and "evidence_needed" not in body
    )


def test_no_gap_report_for_a_pass(personas, client_for):
    a = h.in_review(personas)
    h.score_all(a, personas.ada, 4)
    services.assessment_decide(assessment=a, actor=personas.ada, outcome="pass")
    assert client_for(personas.pat).get(f"/assessments/{a.pk}/gap-report/").status_code == 404
