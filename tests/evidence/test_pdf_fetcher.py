"""lib.pdf: WeasyPrint may read our own static files and nothing else."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from lib.pdf import STATIC_DIR, allowed_static_path, html_to_pdf, render_pdf, static_base_url

CSS = STATIC_DIR / "pdf" / "evidence.css"


def test_only_regular_asset_files_inside_the_static_folders_are_allowed(tmp_path: Path):
    roots = [STATIC_DIR]
    assert allowed_static_path(CSS.as_uri(), roots) == CSS.resolve()
    assert allowed_static_path(static_base_url() + "pdf/evidence.css", roots) == CSS.resolve()

    refused = [
        "file:///etc/passwd",
        static_base_url() + "../pyproject.toml",  # leaves the folder
        static_base_url() + "pdf/../../evidence/models.py",
        static_base_url() + "pdf/%2e%2e/%2e%2e/manage.py",
        static_base_url() + "pdf/no-such-file.css",
        static_base_url() + "pdf",  # a folder
        "file://otherhost" + CSS.as_posix(),
        "http://127.0.0.1:9/x.css",
        "https://example.org/s.css",
        "data:text/css,body{}",
        "ftp://example.org/x.css",
    ]
    for url in refused:
        assert allowed_static_path(url, roots) is None, url

    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    link = tmp_path / "static"
    link.mkdir()
    (link / "evil.css").symlink_to(outside)
    assert allowed_static_path((link / "evil.css").as_uri(), [link]) is None  # a symlink out is refused
    assert allowed_static_path(outside.as_uri(), [link]) is None


def test_the_renderer_refuses_everything_but_our_static_files_and_notes_each_refusal():
    hostile = (
        '<html><head><link rel="stylesheet" href="pdf/evidence.css"></head><body><h1>x</h1>'
        '<img src="file:///etc/passwd"><img src="../../../../etc/hostname"><img src="http://127.0.0.1:9/x.png">'
        '<img src="data:image/png;base64,iVBORw0KGgo="><link rel="stylesheet" href="https://example.org/s.css">'
        "</body></html>"
    )
    rendered = render_pdf(hostile, base_url=static_base_url())

    assert rendered.log.served == [CSS.resolve().as_uri()]
    assert "file:///etc/passwd" in rendered.log.refused
    assert "http://127.0.0.1:9/x.png" in rendered.log.refused
    assert "https://example.org/s.css" in rendered.log.refused
    assert any(u.startswith("data:") for u in rendered.log.refused)
    assert "file:///etc/hostname" in rendered.log.refused  # a relative URL resolved out of the folder
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(rendered.pdf)).pages)
    assert "root:" not in text and b"root:x:0" not in rendered.pdf


def test_html_to_pdf_keeps_the_badge_contract():
    pdf, refused = html_to_pdf('<p>hi</p><img src="file:///etc/passwd">')
    assert pdf.startswith(b"%PDF")
    assert refused == ["file:///etc/passwd"]


def test_only_the_exact_inline_images_the_caller_vouches_for_are_served():
    import base64

    from PIL import Image

    def png(colour: tuple[int, int, int]) -> str:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    logo, other = png((10, 20, 30)), png((200, 0, 0))
    svg = (
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
    )
    document = f'<p>x</p><img src="{logo}"><img src="{other}"><img src="{svg}">'
    rendered = render_pdf(document, inline_images=[logo, svg])

    assert len(rendered.log.served) == 1  # the logo
    assert other in rendered.log.refused  # not vouched for
    assert svg in rendered.log.refused  # vouched for, but not a PNG/JPEG
    assert len(PdfReader(io.BytesIO(rendered.pdf)).pages[0].images) == 1
