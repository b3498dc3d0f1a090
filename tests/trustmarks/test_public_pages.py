"""The verification record, badges and credential; the organisation's panel; assessors' pages."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from tests.trustmarks.helpers import HOSTILE, ISSUER

pytestmark = pytest.mark.django_db

SECRETS = ("SECRET-COMMENT", "SECRET-GAP", "SECRET-SYSTEMS", "SECRET-EVIDENCE", "SECRET-REASON")


def add_confidential_data(mark, personas):
    """Comments, a gap report, evidence and a suspension reason that must never be public."""
    from assessments.models import CriterionScore, EvidenceItem, GapReport

    CriterionScore.objects.create(
        assessment=mark.assessment, criterion="PSF-1.1", score=3, comment="SECRET-COMMENT"
    )
    GapReport.objects.create(
        assessment=mark.assessment, content=[{"criterion": "PSF-8.1", "comment": "SECRET-GAP"}]
    )
    EvidenceItem.objects.create(
        assessment=mark.assessment,
        criterion="PSF-1.1",
        kind="link",
        title="SECRET-EVIDENCE",
        url="https://x.example",
    )
    mark.assessment.systems_description = "SECRET-SYSTEMS"
    mark.assessment.save()


# --- verification record ----------------------------------------------------------------------


def test_record_shows_the_public_facts(client, make_mark):
    mark = make_mark()
    resp = client.get(f"/verify/{mark.mark_id}")
    assert resp.status_code == 200
    html = resp.content.decode()
    for text in (
        "Acme AI",
        "TM-00142",
        "Active — valid",
        "tm-status-active",
        "PSF-1..8",
        "PSF v1.1",
        "PAI Certification (test)",
        "Input Governance",
        "Vendor Resilience",
        "3.4",
        "2.6",
        mark.expires.strftime("%-d %B %Y"),
        "workflowos verify-credential TM-00142.jwt --jwks jwks.json --offline",
        f"{ISSUER}/.well-known/jwks.json",
        f"{ISSUER}/trust-marks/TM-00142/credential.jwt",
        "/api/certify/log/head",
    ):
        assert text in html, text
    assert "noindex" not in html and "X-Robots-Tag" not in resp


@pytest.mark.parametrize(
    "status,words",
    [
        ("suspended", "Suspended — not valid"),
        ("revoked", "Revoked — not valid"),
        ("expired", "Expired — not valid"),
    ],
)
def test_record_of_non_active_mark_says_so_and_is_noindex(client, make_mark, status, words):
    mark = make_mark(company=f"{status} Ltd", status=status)
    resp = client.get(f"/verify/{mark.mark_id}")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert words in html and f"tm-status-{status}" in html
    assert '<meta name="robots" content="noindex">' in html
    assert resp["X-Robots-Tag"] == "noindex"
    assert "Do not rely on a badge" in html


@pytest.mark.parametrize(
    "path",
    [
        "/verify/TM-99999",
        "/verify/TM-1",
        "/verify/..%2F",
        "/trust-marks/TM-99999/badge.svg",
        "/trust-marks/TM-99999/credential.jwt",
    ],
)
def test_unknown_marks_are_404(client, make_mark, path):
    make_mark()
    assert client.get(path).status_code == 404


def test_nothing_confidential_in_any_public_answer(client, make_mark, personas):
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    add_confidential_data(mark, personas)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="SECRET-REASON")
    paths = [
        f"/verify/{mark.mark_id}",
        f"/api/certify/trust-mark/verify?id={mark.mark_id}",
        f"/trust-marks/{mark.mark_id}/badge.svg",
        f"/trust-marks/{mark.mark_id}/badge.png",
        f"/trust-marks/{mark.mark_id}/credential.jwt",
        "/api/certify/log/head",
        "/api/certify/status/suspension",
        "/.well-known/jwks.json",
    ]
    for path in paths:
        body = client.get(path).content
        for secret in SECRETS:
            assert secret.encode() not in body, (path, secret)
    pdf_text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(client.get(f"/trust-marks/{mark.mark_id}/badge.pdf").content)).pages
    )
    assert not any(s in pdf_text for s in SECRETS)
    assert "ada@" not in client.get(f"/verify/{mark.mark_id}").content.decode()


# --- badges -----------------------------------------------------------------------------------------


def test_svg_badge_headers_link_and_baked_credential(client, make_mark):
    from trustmarks.badges import extract_baked_credential

    mark = make_mark()
    resp = client.get(f"/trust-marks/{mark.mark_id}/badge.svg")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/svg+xml"
    assert resp["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Cache-Control"] == "public, max-age=300"
    assert (
        client.get(
            f"/trust-marks/{mark.mark_id}/badge.svg", headers={"If-None-Match": resp["ETag"]}
        ).status_code
        == 304
    )
    svg = resp.content.decode()
    assert f'href="{ISSUER}/verify/TM-00142"' in svg
    assert "Valid to " in svg and "Verified · PSF v1.1" in svg
    assert extract_baked_credential(resp.content) == mark.credential_jwt
    png = client.get(f"/trust-marks/{mark.mark_id}/badge.png")
    assert png["Content-Type"] == "image/png" and png["X-Content-Type-Options"] == "nosniff"
    assert extract_baked_credential(png.content) == mark.credential_jwt
    download = client.get(f"/trust-marks/{mark.mark_id}/badge.png?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="TM-00142-badge.png"'


def test_pdf_document_badge(client, make_mark):
    mark = make_mark()
    resp = client.get(f"/trust-marks/{mark.mark_id}/badge.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.content))
    text = " ".join(reader.pages[0].extract_text().split())
    month = mark.expires.strftime("%b %Y")
    assert "TM-00142" in text and f"Valid to {month}" in text
    assert f"{ISSUER}/verify/TM-00142" in text
    assert reader.attachments["credential.jwt"][0].decode() == mark.credential_jwt


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_badges_of_non_active_marks_say_so(client, make_mark, status):
    mark = make_mark(company="Badge Ltd", status=status)
    svg = client.get(f"/trust-marks/{mark.mark_id}/badge.svg").content.decode()
    assert f"{status.upper()} · PSF v1.1" in svg and "not currently valid" in svg and "Verified" not in svg
    text = (
        PdfReader(io.BytesIO(client.get(f"/trust-marks/{mark.mark_id}/badge.pdf").content))
        .pages[0]
        .extract_text()
    )
    assert status.upper() in text and "not valid" in " ".join(text.split())


def test_badge_follows_a_status_change(client, make_mark, personas):
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    assert "Verified" in client.get(f"/trust-marks/{mark.mark_id}/badge.svg").content.decode()
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Finding")
    assert "SUSPENDED" in client.get(f"/trust-marks/{mark.mark_id}/badge.svg").content.decode()


def test_hostile_company_name_is_escaped_everywhere(client, make_mark, personas, client_for):
    from accounts.models import Membership
    from trustmarks.badges import extract_baked_credential

    mark = make_mark(company=HOSTILE)
    raw = "<script>alert(1)</script>"
    # SVG: well-formed, the name is text, no element or attribute came from it.
    svg = client.get(f"/trust-marks/{mark.mark_id}/badge.svg").content
    assert raw.encode() not in svg
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert any(el.text == HOSTILE for el in root.iter())
    assert (
        b'&lt;script&gt;alert(1)&lt;/script&gt; &amp; "Co"' in svg
        or b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in svg
    )
    # PNG: renders; the baked credential carries the name as JSON data.
    png = client.get(f"/trust-marks/{mark.mark_id}/badge.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert extract_baked_credential(png.content) == mark.credential_jwt
    # PDF: the name is printed literally and nothing in the file runs.
    pdf = client.get(f"/trust-marks/{mark.mark_id}/badge.pdf").content
    assert HOSTILE in " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf
    # The record page, the verify API, the dashboard snippet.
    record = client.get(f"/verify/{mark.mark_id}").content.decode()
    assert raw not in record and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in record
    assert (
        json.loads(client.get(f"/api/certify/trust-mark/verify?id={mark.mark_id}").content)["company"]
        == HOSTILE
    )
    Membership.objects.create(user=personas.gus, organisation=mark.organisation, role="admin")
    c = client_for(personas.gus)
    assert (
        c.post(
            "/accounts/organisation/switch/", {"organisation": mark.organisation.pk, "next": "/dashboard/"}
        ).status_code
        == 302
    )
    dashboard = c.get("/dashboard/").content.decode()
    assert "TM-00142" in dashboard and raw not in dashboard


def test_jwks_and_status_lists_headers(client, make_mark):
    make_mark()
    jwks = client.get("/.well-known/jwks.json")
    assert jwks["Content-Type"] == "application/json"
    assert jwks["Cache-Control"] == "public, max-age=300"
    key = json.loads(jwks.content)["keys"][0]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA" and "d" not in key
    for purpose in ("revocation", "suspension"):
        resp = client.get(f"/api/certify/status/{purpose}")
        assert resp["Content-Type"] == "application/vc+jwt"
        assert (
            client.get(f"/api/certify/status/{purpose}", headers={"If-None-Match": resp["ETag"]}).status_code
            == 304
        )


# --- organisation dashboard panel -----------------------------------------------------------------


def test_dashboard_panel_offers_badges_snippet_and_review_date(client_for, make_mark, personas):
    mark = make_mark(days_ago=310)
    html = client_for(personas.pat).get("/dashboard/").content.decode()
    assert 'data-testid="trust-marks-panel"' in html
    for text in (
        f"/trust-marks/{mark.mark_id}/badge.svg?download=1",
        f"/trust-marks/{mark.mark_id}/badge.png?download=1",
        f"/trust-marks/{mark.mark_id}/badge.pdf?download=1",
        f"/trust-marks/{mark.mark_id}/credential.jwt",
        f"{ISSUER}/verify/{mark.mark_id}",
        "Next surveillance review",
        mark.next_review.strftime("%-d %b %Y"),
    ):
        assert text in html, text
    # The snippet is shown as text: one level of escaping in the page, real HTML once copied.
    assert "&lt;a href=&quot;https://certify.example.org/verify/TM-00142&quot;" in html
    assert ">due</span>" in html  # review falls due 60 days before expiry


def test_dashboard_panel_only_shows_own_marks(client_for, make_mark, personas):
    make_mark()
    html = client_for(personas.gus).get("/dashboard/").content.decode()
    assert "TM-00142" not in html and "No trust mark yet" in html


# --- assessor pages --------------------------------------------------------------------------------


def test_assessor_lifecycle_pages(client_for, make_mark, personas):
    fresh = make_mark(company="Fresh Co")
    due = make_mark(company="Due Co", days_ago=320)
    c = client_for(personas.ada)
    html = c.get("/trust-marks/").content.decode()
    queue = html.split('data-testid="review-due"')[1].split("</section>")[0]
    assert due.mark_id in queue and fresh.mark_id not in queue
    assert "Fresh Co" in c.get("/trust-marks/?status=active").content.decode()
    assert "Fresh Co" not in c.get("/trust-marks/?status=revoked").content.decode()
    page = c.get(f"/trust-marks/{fresh.mark_id}/").content.decode()
    assert 'data-testid="action-suspend"' in page and 'data-testid="action-reinstate"' not in page
    resp = c.post(f"/trust-marks/{fresh.mark_id}/suspend/", {"reason": "PSF-6 queue switched off"})
    assert resp.status_code == 302
    fresh.refresh_from_db()
    assert fresh.status == "suspended" and fresh.status_reason == "PSF-6 queue switched off"
    page = c.get(f"/trust-marks/{fresh.mark_id}/").content.decode()
    assert "PSF-6 queue switched off" in page and 'data-testid="action-reinstate"' in page
    # No reason, no change; an impossible change is refused with a message.
    c.post(f"/trust-marks/{fresh.mark_id}/reinstate/", {"reason": ""})
    fresh.refresh_from_db()
    assert fresh.status == "suspended"
    resp = c.post(f"/trust-marks/{fresh.mark_id}/suspend/", {"reason": "again"}, follow=True)
    assert "only an active mark can be suspended" in resp.content.decode()
    # Renewal needs a completed surveillance review: refused (403, with the reason) without one.
    resp = c.post(f"/trust-marks/{due.mark_id}/renew/", {"reason": "Surveillance review passed"})
    assert resp.status_code == 403 and "needs a completed surveillance review" in resp.content.decode()
    review = {"evidence_valid": "yes", "notes": "Still in place."}
    review |= {f"score_{code}": str(score) for code, score in due.scores.items()}
    assert c.post(f"/trust-marks/{due.mark_id}/review/", review).status_code == 302
    resp = c.post(f"/trust-marks/{due.mark_id}/renew/", {"reason": "Surveillance review passed"})
    assert resp.status_code == 302
    due.refresh_from_db()
    assert due.last_review == due.issued and not due.review_due()
    assert c.post(f"/trust-marks/{due.mark_id}/explode/", {"reason": "x"}).status_code == 404
