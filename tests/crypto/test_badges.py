from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from lib.keys import KeyRing
from trustmarks import badges
from trustmarks.badges import (
    OB_NS,
    SVG_NS,
    BadgeFormatError,
    extract_baked_credential,
    html_to_pdf,
    render_badge_pdf,
    render_badge_pdf_html,
    render_badge_png,
    render_badge_svg,
)
from trustmarks.credentials import verify_credential_jwt

from .helpers import HOSTILE, make_token

VERIFY_URL = "https://certify.example.org/verify/TM-00142"
BASE = {
    "mark_id": "TM-00142",
    "status": "active",
    "valid_until": date(2026, 12, 31),
    "psf_version": "v1.1",
    "verify_url": VERIFY_URL,
}


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.text or "" for el in root.iter(f"{{{SVG_NS}}}text")]


def test_svg_escapes_a_hostile_company_name():
    svg = render_badge_svg(company=HOSTILE, credential_jwt=None, **BASE)

    root = ET.fromstring(svg)
    assert not [
        el for el in root.iter() if el.tag.split("}")[-1].lower() in {"script", "foreignobject", "image"}
    ]
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in svg
    assert HOSTILE in svg_texts(svg)
    assert HOSTILE in root.find(f"{{{SVG_NS}}}title").text
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)


def test_svg_has_the_seed_texts_and_links_to_the_record():
    svg = render_badge_svg(company="Acme AI", credential_jwt=None, **BASE)

    assert svg_texts(svg) == [
        "PAI PRODUCTION SAFE",
        "Verified · PSF v1.1",
        "Acme AI",
        "Valid to Dec 2026 · TM-00142",
    ]
    link = ET.fromstring(svg).find(f"{{{SVG_NS}}}a")
    assert link.get("href") == VERIFY_URL
    # No external references besides the link and the namespace names.
    stripped = svg.replace(VERIFY_URL, "")
    for ns in (SVG_NS, OB_NS, "http://www.w3.org/1999/xlink"):
        stripped = stripped.replace(ns, "")
    assert "http" not in stripped and "url(" not in stripped


@pytest.mark.parametrize(
    ("status", "word", "colour"),
    [
        ("suspended", "SUSPENDED", "#b42318"),
        ("revoked", "REVOKED", "#b42318"),
        ("expired", "EXPIRED", "#667085"),
    ],
)
def test_non_active_badges_say_so_in_red_or_grey(status: str, word: str, colour: str):
    svg = render_badge_svg(company="Acme AI", credential_jwt=None, **{**BASE, "status": status})

    root = ET.fromstring(svg)
    line = next(el for el in root.iter(f"{{{SVG_NS}}}text") if el.text and el.text.startswith(word))
    assert line.get("fill") == colour
    assert "Verified" not in "".join(svg_texts(svg))
    assert "Valid to" not in "".join(svg_texts(svg))


def test_long_company_names_are_shortened_on_the_badge_but_kept_in_the_title():
    name = "The Extremely Long Name of an AI Company Incorporated"
    svg = render_badge_svg(company=name, credential_jwt=None, **BASE)
    assert svg_texts(svg)[2].endswith("…") and len(svg_texts(svg)[2]) < len(name)
    assert name in ET.fromstring(svg).find(f"{{{SVG_NS}}}title").text


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "/relative", "https://ok.example/\nx"]
)
def test_only_http_verify_links_are_accepted(url: str):
    with pytest.raises(ValueError):
        render_badge_svg(company="Acme AI", credential_jwt=None, **{**BASE, "verify_url": url})
    with pytest.raises(ValueError):
        render_badge_pdf_html(company="Acme AI", **{**BASE, "verify_url": url})


def test_svg_bakes_the_credential_per_open_badges_3(ring: KeyRing):
    token = make_token(ring)
    svg = render_badge_svg(company="Acme AI", credential_jwt=token, **BASE)

    root = ET.fromstring(svg)
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg.split(">", 2)[1]
    first = root[0]
    assert first.tag == f"{{{OB_NS}}}credential"
    assert first.get("verify") == token
    assert extract_baked_credential(svg.encode()) == token


def test_a_baked_credential_must_be_a_compact_jws():
    with pytest.raises(ValueError):
        render_badge_svg(company="Acme AI", credential_jwt='"/><script>x</script>', **BASE)


def test_png_bakes_the_credential_in_an_uncompressed_itxt_chunk(ring: KeyRing):
    token = make_token(ring, company=HOSTILE)
    png = render_badge_png(company=HOSTILE, credential_jwt=token, **BASE)

    image = Image.open(io.BytesIO(png))
    assert image.size == (688, 192)
    assert image.text["openbadgecredential"] == token
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    assert b"iTXtopenbadgecredential\x00\x00\x00\x00\x00" + token.encode() in png
    assert extract_baked_credential(png) == token
    assert verify_credential_jwt(extract_baked_credential(png), ring.jwks()).ok


def test_png_differs_between_active_and_revoked():
    active = Image.open(io.BytesIO(render_badge_png(company="Acme AI", credential_jwt=None, **BASE)))
    revoked = Image.open(
        io.BytesIO(render_badge_png(company="Acme AI", credential_jwt=None, **{**BASE, "status": "revoked"}))
    )
    # The shield (left panel) changes colour: green when active, red when revoked.
    assert active.getpixel((84, 80))[:3] == (0x12, 0xB7, 0x6A)
    assert revoked.getpixel((84, 80))[:3] == (0xD9, 0x2D, 0x20)


def test_extract_returns_none_without_a_credential_and_refuses_hostile_svg():
    assert extract_baked_credential(render_badge_png(company="A", credential_jwt=None, **BASE)) is None
    assert (
        extract_baked_credential(render_badge_svg(company="A", credential_jwt=None, **BASE).encode()) is None
    )
    assert extract_baked_credential(b"just some text") is None
    bomb = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg>&b;</svg>'
    with pytest.raises(BadgeFormatError):
        extract_baked_credential(bomb)
    with pytest.raises(BadgeFormatError):
        extract_baked_credential(b"<svg><unclosed></svg>")


def test_extract_reads_a_json_ld_credential_baked_as_element_text():
    svg = f'<svg xmlns="{SVG_NS}" xmlns:openbadges="{OB_NS}"><openbadges:credential><![CDATA[{{"id": "x"}}]]></openbadges:credential></svg>'
    assert extract_baked_credential(svg.encode()) == '{"id": "x"}'


def test_document_badge_html_escapes_every_value():
    html = render_badge_pdf_html(
        company=HOSTILE + '<img src="file:///etc/passwd">',
        scores={"PSF-1": "<b>5</b>", "PSF-2": 4.5},
        **BASE,
    )
    assert "<script" not in html and '<img src="file' not in html and "<b>5" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in html
    assert "Trust mark #TM-00142 · Valid to Dec 2026" in html
    assert "For security questionnaires &amp; RFPs" in html
    assert 'class="segno"' in html  # the QR code, inline SVG


@pytest.fixture(scope="module")
def pdf_and_token(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    ring = KeyRing(tmp_path_factory.mktemp("keys"))
    token = make_token(ring)
    pdf = render_badge_pdf(
        company=HOSTILE + ' <img src="file:///etc/passwd">',
        credential_jwt=token,
        scores={f"PSF-{n}": f"4.{n}" for n in range(1, 9)},
        issued=date(2025, 12, 31),
        **BASE,
    )
    return pdf, token


def test_document_badge_pdf_has_the_texts_and_the_credential(pdf_and_token: tuple[bytes, str]):
    pdf, token = pdf_and_token
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)

    assert len(reader.pages) == 1
    for expected in (
        "PAI PRODUCTION SAFE",
        "Trust mark #TM-00142 · Valid to Dec 2026",
        "For security questionnaires & RFPs",
        '<script>alert(1)</script> & "Co"',
        '<img src="file:///etc/passwd">',
        "PSF-1..8",
        "PSF-8",
        "4.8",
        VERIFY_URL,
    ):
        assert expected in text, expected
    assert "root:x:0" not in text
    assert reader.attachments["credential.jwt"] == [token.encode()]


def test_the_pdf_renderer_fetches_nothing():
    hostile = (
        '<html><body><p>x</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
        '<link rel="stylesheet" href="https://example.org/s.css"></body></html>'
    )
    pdf, refused = html_to_pdf(hostile)

    assert set(refused) == {"file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/s.css"}
    assert b"root:" not in pdf


def test_the_document_badge_itself_asks_for_no_url():
    html = render_badge_pdf_html(company=HOSTILE + '<img src="file:///etc/passwd">', **BASE)
    _pdf, refused = html_to_pdf(html)
    assert refused == []


def test_month_year_does_not_depend_on_locale():
    assert badges.month_year(date(2026, 12, 31)) == "Dec 2026"
    assert badges.month_year(date(2027, 1, 1)) == "Jan 2027"
