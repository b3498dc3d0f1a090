"""HTML → PDF with WeasyPrint, fetching nothing but our own static files.

A document rendered here may carry user text. Escaping is the first defence; the second is the
URL fetcher: WeasyPrint asks it for every stylesheet, image and font a document refers to, and
an ``<img src="file:///etc/passwd">`` that slipped through would otherwise read the server's
files (or reach internal hosts over http). The fetcher answers only for regular files inside the
allowed static folders (by real path, so ``..`` and symlinks cannot leave them) with a known
asset suffix; it refuses ``file://`` anywhere else, ``http(s)://``, ``data:`` and every other
scheme, and notes each refusal so callers and tests can see what a document asked for. The one
exception is an exact list of ``data:`` images the caller vouches for (``trusted_data_uris``: an
organisation's logo, checked by content when it was uploaded), served from memory.

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
from collections.abc import Callable, Collection, Sequence
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


TRUSTED_DATA_TYPES = ("image/png", "image/jpeg")


def trusted_data_image(url: str, trusted: Collection[str]) -> tuple[str, bytes] | None:
    """``(mime, bytes)`` of a base64 ``data:`` PNG or JPEG that is exactly one of ``trusted``."""
    if url not in trusted or not url.startswith("data:"):
        return None
    head, sep, payload = url[5:].partition(",")
    mime, _, encoding = head.partition(";")
    if not sep or encoding != "base64" or mime not in TRUSTED_DATA_TYPES:
        return None
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def static_only_fetcher(roots: Sequence[Path], log: FetchLog, trusted_data_uris: Collection[str] = ()) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``roots`` (and the caller's
    ``trusted_data_uris``) and refuses everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> object:
            image = trusted_data_image(url, trusted_data_uris)
            if image is not None:
                log.served.append(url[:40])
                return URLFetcherResponse(url, body=image[1], headers={"Content-Type": image[0]})
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
    trusted_data_uris: Collection[str] = (),
) -> RenderedPdf:
    """Lay out ``document`` once and write it as PDF.

    ``base_url`` resolves relative URLs (use :func:`static_base_url` to link our stylesheets);
    ``on_laid_out(pages)`` is called between layout and writing, for progress reports.
    """
    import weasyprint  # heavy import, only where PDFs are made

    log = FetchLog()
    fetcher = static_only_fetcher(static_roots, log, frozenset(trusted_data_uris))
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
    document: str, *, attachments: Sequence[tuple[str, bytes]] = (), base_url: str | None = None
) -> tuple[bytes, list[str]]:
    """Render HTML to PDF; returns ``(pdf, refused_urls)``. Only our static files are fetched."""
    rendered = render_pdf(document, base_url=base_url, attachments=attachments)
    return rendered.pdf, rendered.log.refused
