"""HTML → PDF with WeasyPrint, fetching nothing but our own static files.

A document rendered here may carry user text. Escaping is the first defence; the second is the
URL fetcher: WeasyPrint asks it for every stylesheet, image and font a document refers to, and
an ``<img src="file:///etc/passwd">`` that slipped through would otherwise read the server's
files (or reach internal hosts over http). The fetcher answers only for regular files inside the
allowed static folders (by real path, so ``..`` and symlinks cannot leave them) with a known
asset suffix; it refuses ``file://`` anywhere else, ``http(s)://``, ``data:`` and every other
scheme, and notes each refusal so callers and tests can see what a document asked for. The one
exception is opt-in: ``inline_images`` lists exact ``data:image/png|jpeg;base64,…`` URIs the
caller vouches for (an organisation's logo, checked by content when it was uploaded); only those
exact strings are served, so text that slipped into a document cannot add another.

Pure Python (no Django). The font configuration is kept per process (building it costs more
than laying out a short document); nothing else is shared between renders, so every render asks
the fetcher afresh and its log is complete.
"""

from __future__ import annotations

import base64
import binascii
import logging
import mimetypes
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_SUFFIXES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
MAX_ASSET_BYTES = 8 * 1024 * 1024

# WeasyPrint reports every page it lays out at INFO; a worker's log needs none of that.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def static_base_url(root: Path = STATIC_DIR) -> str:
    """The base URL that makes ``href="pdf/evidence.css"`` resolve inside ``root``."""
    return root.resolve().as_uri() + "/"


def allowed_static_path(url: str, roots: Sequence[Path]) -> Path | None:
    """The file ``url`` names if it is one of our static assets, else ``None``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    try:
        real = Path(urllib.request.url2pathname(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if real.suffix.lower() not in STATIC_SUFFIXES or not real.is_file():
        return None
    for root in roots:
        if real.is_relative_to(root.resolve()):
            return real
    return None


@dataclass
class FetchLog:
    """What a render asked for: static files served and URLs refused."""

    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


INLINE_IMAGE_TYPES = ("image/png", "image/jpeg")


def decode_inline_image(uri: str) -> tuple[bytes, str] | None:
    """The bytes and type of a ``data:image/png|jpeg;base64,…`` URI, else ``None``."""
    head, sep, payload = uri.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    mime = head.removeprefix("data:").removesuffix(";base64")
    if mime not in INLINE_IMAGE_TYPES:
        return None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return (data, mime) if 0 < len(data) <= MAX_ASSET_BYTES else None


def static_only_fetcher(roots: Sequence[Path], log: FetchLog, inline_images: Sequence[str] = ()) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``roots`` (and the exact ``inline_images``
    URIs) and refuses everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    images = {uri: decoded for uri in inline_images if (decoded := decode_inline_image(uri))}

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> object:
            if url in images:
                body, kind = images[url]
                log.served.append(url[:40] + "…")
                return URLFetcherResponse(url, body=body, headers={"Content-Type": kind})
            path = allowed_static_path(url, roots)
            if path is None or path.stat().st_size > MAX_ASSET_BYTES:
                log.refused.append(url)
                raise ValueError(f"resource refused: {url[:80]}")
            log.served.append(url)
            mime = STATIC_SUFFIXES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime or ""})

    return StaticOnlyFetcher()


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    log: FetchLog


def render_pdf(
    document: str,
    *,
    base_url: str | None = None,
    static_roots: Sequence[Path] = (STATIC_DIR,),
    attachments: Sequence[tuple[str, bytes]] = (),
    on_laid_out: Callable[[int], None] | None = None,
    inline_images: Sequence[str] = (),
) -> RenderedPdf:
    """Lay out ``document`` once and write it as PDF.

    ``base_url`` resolves relative URLs (use :func:`static_base_url` to link our stylesheets);
    ``on_laid_out(pages)`` is called between layout and writing, for progress reports;
    ``inline_images``: exact image ``data:`` URIs the document may show (see the module's note).
    """
    import weasyprint  # heavy import, only where PDFs are made

    log = FetchLog()
    fetcher = static_only_fetcher(static_roots, log, inline_images)
    pdf_attachments = [
        weasyprint.Attachment(string=content, name=name, url_fetcher=fetcher) for name, content in attachments
    ]
    laid_out = weasyprint.HTML(string=document, base_url=base_url, url_fetcher=fetcher).render(
        font_config=_font_config()
    )
    if on_laid_out is not None:
        on_laid_out(len(laid_out.pages))
    pdf = laid_out.write_pdf(attachments=pdf_attachments)
    assert pdf is not None
    return RenderedPdf(pdf=pdf, pages=len(laid_out.pages), log=log)


def html_to_pdf(
    document: str,
    *,
    attachments: Sequence[tuple[str, bytes]] = (),
    base_url: str | None = None,
    inline_images: Sequence[str] = (),
) -> tuple[bytes, list[str]]:
    """Render HTML to PDF; returns ``(pdf, refused_urls)``. Only our static files (and the exact
    ``inline_images``) are fetched."""
    rendered = render_pdf(document, base_url=base_url, attachments=attachments, inline_images=inline_images)
    return rendered.pdf, rendered.log.refused
