"""Trust-mark badges from one fixed design: web badge (SVG, PNG) and document badge (HTML → PDF).

Every dynamic value is treated as hostile: the SVG is built with ``xml.etree`` (which escapes
text and attributes), the HTML with ``html.escape`` on every value before it is put into the
fixed template ``data/document_badge.html``, and the PDF renderer refuses every URL it is asked
to fetch. The verify URL must be ``http(s)`` (a ``javascript:`` link would run in the SVG).

The signed credential is baked into the images (Open Badges 3.0 baking): in SVG as the first
child ``<openbadges:credential verify="<compact JWS>"/>`` (namespace
``https://purl.imsglobal.org/ob/v3p0``), in PNG as an uncompressed ``iTXt`` chunk with keyword
``openbadgecredential``; ``extract_baked_credential`` reads either back.
"""

from __future__ import annotations

import html
import io
import re
import string
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

import segno
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from lib.pdf import html_to_pdf

if TYPE_CHECKING:
    from accounts.branding import Branding

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = "openbadgecredential"
MAX_BADGE_BYTES = 8 * 1024 * 1024
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DATA_DIR = Path(__file__).resolve().parent / "data"
STATUSES = ("active", "suspended", "revoked", "expired")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_JWS_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")

# Names are written with literal prefixes and the root declares its namespaces itself, so the
# output never depends on ElementTree's process-wide prefix registry (WeasyPrint, for one,
# re-registers "" when it writes PDF metadata, which turned badges into <ns0:svg>).
_PREFIXES = {SVG_NS: "", XLINK_NS: "xlink:", OB_NS: "openbadges:"}
_NS_DECLARATIONS = {"xmlns": SVG_NS, "xmlns:xlink": XLINK_NS, "xmlns:openbadges": OB_NS}


# --- the design, shared by SVG and PNG (units: CSS px of the 1× badge) ---------------------------

WIDTH, HEIGHT, RADIUS, PANEL = 344, 96, 10, 84
TEXT_X = 98
TEXT_MAX = WIDTH - TEXT_X - 12
FONT_STACK = "DejaVu Sans,Verdana,Geneva,sans-serif"
SHIELD_ORIGIN = (20, 22)  # the 44 × 52 shield inside the left panel


@dataclass(frozen=True)
class _Palette:
    panel: str
    shield: str
    title: str
    status_line: str
    status_weight: str
    text: str
    muted: str


_PALETTES = {
    "active": _Palette("#0b2545", "#12b76a", "#0b2545", "#344054", "normal", "#101828", "#475467"),
    "suspended": _Palette("#55160c", "#d92d20", "#55160c", "#b42318", "bold", "#344054", "#667085"),
    "revoked": _Palette("#55160c", "#d92d20", "#55160c", "#b42318", "bold", "#344054", "#667085"),
    "expired": _Palette("#344054", "#98a2b3", "#344054", "#667085", "bold", "#475467", "#667085"),
}


@dataclass(frozen=True)
class _Line:
    text: str
    x: float
    y: float
    size: float
    bold: bool
    fill: str
    spacing: float = 0.0


def _shield_points() -> list[tuple[float, float]]:
    """The shield outline as a polygon: a flat top, straight sides, two curves to the point."""

    def quad(
        p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float]
    ) -> list[tuple[float, float]]:
        steps = 10
        return [
            (
                (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t**2 * p1[0],
                (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t**2 * p1[1],
            )
            for t in (i / steps for i in range(1, steps + 1))
        ]

    return [
        (0, 8),
        (22, 0),
        (44, 8),
        (44, 24),
        *quad((44, 24), (42, 44), (22, 52)),
        *quad((22, 52), (2, 44), (0, 24)),
    ]


_ICONS: dict[str, list[list[tuple[float, float]]]] = {
    "active": [[(12, 27), (19, 34), (32, 19)]],
    "suspended": [[(17, 17), (17, 34)], [(27, 17), (27, 34)]],
    "revoked": [[(14, 17), (30, 33)], [(30, 17), (14, 33)]],
    "expired": [[(13, 26), (31, 26)]],
}


def _clean(text: str) -> str:
    """User text on one line, without control or format characters (invalid in XML, or bidi tricks)."""
    text = " ".join(str(text).split())
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))


def _check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise ValueError("verify_url must be an absolute http(s) URL")
    return url


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    return status


def _check_jwt(token: str | None) -> str | None:
    if token is not None and not _JWS_RE.fullmatch(token):
        raise ValueError("credential_jwt must be a compact JWS")
    return token


def month_year(value: date) -> str:
    """``Dec 2026`` whatever the process locale."""
    return f"{_MONTHS[value.month - 1]} {value.year}"


@cache
def _font(size: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size=max(1, round(size)))
    return ImageFont.load_default(size=max(1, round(size)))


def _text_width(text: str, size: float, bold: bool, spacing: float = 0.0) -> float:
    font = _font(size, bold)
    if isinstance(font, ImageFont.FreeTypeFont):
        return float(font.getlength(text)) + spacing * max(0, len(text) - 1)
    return len(text) * size * 0.62 + spacing * max(0, len(text) - 1)  # pragma: no cover


def _fit(text: str, size: float, bold: bool, max_width: float) -> str:
    """``text``, shortened with an ellipsis until it fits ``max_width``."""
    if _text_width(text, size, bold) <= max_width:
        return text
    while text and _text_width(text + "…", size, bold) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


@dataclass(frozen=True)
class _Badge:
    status: str
    palette: _Palette
    lines: list[_Line]
    label: str
    company: str


def _layout(*, mark_id: str, company: str, status: str, valid_until: date, psf_version: str) -> _Badge:
    status = _check_status(status)
    palette = _PALETTES[status]
    company = _clean(company)
    psf_version = _clean(psf_version)
    mark_id = _clean(mark_id)
    if status == "active":
        second = f"Verified · PSF {psf_version}"
        last = f"Valid to {month_year(valid_until)} · {mark_id}"
    else:
        second = f"{status.upper()} · PSF {psf_version}"
        last = f"{mark_id} · not currently valid"
    lines = [
        _Line("PAI PRODUCTION SAFE", TEXT_X, 30, 13, True, palette.title, spacing=1.0),
        _Line(second, TEXT_X, 48, 11, palette.status_weight == "bold", palette.status_line),
        _Line(_fit(company, 12, True, TEXT_MAX), TEXT_X, 67, 12, True, palette.text),
        _Line(_fit(last, 10, False, TEXT_MAX), TEXT_X, 84, 10, False, palette.muted),
    ]
    label = f"PAI Production Safe trust mark {mark_id} for {company}: {status}"
    if status == "active":
        label += f", PSF {psf_version}, valid to {month_year(valid_until)}"
    return _Badge(status, palette, lines, label, company)


# --- SVG ----------------------------------------------------------------------------------------


def _q(tag: str, ns: str = SVG_NS) -> str:
    return _PREFIXES[ns] + tag


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_badge_svg(
    *,
    mark_id: str,
    company: str,
    status: str,
    valid_until: date,
    psf_version: str,
    verify_url: str,
    credential_jwt: str | None,
) -> str:
    """The web badge as a standalone SVG document, linked to ``verify_url``, credential baked in."""
    verify_url = _check_url(verify_url)
    credential_jwt = _check_jwt(credential_jwt)
    badge = _layout(
        mark_id=mark_id, company=company, status=status, valid_until=valid_until, psf_version=psf_version
    )
    root = ET.Element(
        _q("svg"),
        {
            **_NS_DECLARATIONS,
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": badge.label,
        },
    )
    if credential_jwt is not None:
        # OB 3.0 baking: the credential element comes first, the JWT form in the verify attribute.
        ET.SubElement(root, _q("credential", OB_NS), {"verify": credential_jwt})
    ET.SubElement(root, _q("title")).text = badge.label
    link = ET.SubElement(
        root, _q("a"), {"href": verify_url, _q("href", XLINK_NS): verify_url, "target": "_top"}
    )
    ET.SubElement(
        link,
        _q("rect"),
        {
            "x": "0.75",
            "y": "0.75",
            "width": _num(WIDTH - 1.5),
            "height": _num(HEIGHT - 1.5),
            "rx": str(RADIUS),
            "fill": "#ffffff",
            "stroke": "#d0d5dd",
            "stroke-width": "1.5",
        },
    )
    ET.SubElement(
        link,
        _q("path"),
        {
            "d": (
                f"M{RADIUS} 0H{PANEL}V{HEIGHT}H{RADIUS}"
                f"A{RADIUS} {RADIUS} 0 0 1 0 {HEIGHT - RADIUS}V{RADIUS}A{RADIUS} {RADIUS} 0 0 1 {RADIUS} 0Z"
            ),
            "fill": badge.palette.panel,
        },
    )
    ox, oy = SHIELD_ORIGIN
    ET.SubElement(
        link,
        _q("polygon"),
        {
            "points": " ".join(f"{_num(ox + x)},{_num(oy + y)}" for x, y in _shield_points()),
            "fill": badge.palette.shield,
        },
    )
    for stroke in _ICONS[badge.status]:
        ET.SubElement(
            link,
            _q("polyline"),
            {
                "points": " ".join(f"{_num(ox + x)},{_num(oy + y)}" for x, y in stroke),
                "fill": "none",
                "stroke": "#ffffff",
                "stroke-width": "4",
                "stroke-linecap": "round",
                "stroke-linejoin": "round",
            },
        )
    for line in badge.lines:
        attrs = {
            "x": _num(line.x),
            "y": _num(line.y),
            "font-family": FONT_STACK,
            "font-size": _num(line.size),
            "font-weight": "bold" if line.bold else "normal",
            "fill": line.fill,
        }
        if line.spacing:
            attrs["letter-spacing"] = _num(line.spacing)
        ET.SubElement(link, _q("text"), attrs).text = line.text
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- PNG ----------------------------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def render_badge_png(
    *,
    mark_id: str,
    company: str,
    status: str,
    valid_until: date,
    psf_version: str,
    verify_url: str,
    credential_jwt: str | None,
    scale: int = 2,
) -> bytes:
    """The web badge as PNG (``scale`` × 344 × 96 px), credential baked as ``iTXt openbadgecredential``.

    ``verify_url`` is checked like the SVG's although a PNG cannot link: the embedding snippet does.
    """
    _check_url(verify_url)
    credential_jwt = _check_jwt(credential_jwt)
    if not 1 <= scale <= 8:
        raise ValueError("scale must be between 1 and 8")
    badge = _layout(
        mark_id=mark_id, company=company, status=status, valid_until=valid_until, psf_version=psf_version
    )
    s = scale
    image = Image.new("RGBA", (WIDTH * s, HEIGHT * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, WIDTH * s - 1, HEIGHT * s - 1), radius=RADIUS * s, fill=_rgb(badge.palette.panel)
    )
    draw.rounded_rectangle(
        (PANEL * s, 0, WIDTH * s - 1, HEIGHT * s - 1),
        radius=RADIUS * s,
        fill=(255, 255, 255),
        outline=_rgb("#d0d5dd"),
        width=max(1, round(1.5 * s)),
        corners=(False, True, True, False),
    )
    ox, oy = SHIELD_ORIGIN
    draw.polygon([((ox + x) * s, (oy + y) * s) for x, y in _shield_points()], fill=_rgb(badge.palette.shield))
    for stroke in _ICONS[badge.status]:
        points = [((ox + x) * s, (oy + y) * s) for x, y in stroke]
        draw.line(points, fill=(255, 255, 255), width=4 * s, joint="curve")
        for px, py in (points[0], points[-1]):  # round caps, as in the SVG
            draw.ellipse((px - 2 * s, py - 2 * s, px + 2 * s, py + 2 * s), fill=(255, 255, 255))
    for line in badge.lines:
        font = _font(line.size * s, line.bold)
        if line.spacing:
            x = line.x * s
            for ch in line.text:
                draw.text((x, line.y * s), ch, font=font, fill=_rgb(line.fill), anchor="ls")
                x += _text_width(ch, line.size * s, line.bold) + line.spacing * s
        else:
            draw.text((line.x * s, line.y * s), line.text, font=font, fill=_rgb(line.fill), anchor="ls")
    info = PngInfo()
    if credential_jwt is not None:
        info.add_itxt(PNG_KEYWORD, credential_jwt, lang="", tkey="", zip=False)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()


# --- reading a baked credential back ------------------------------------------------------------


class BadgeFormatError(ValueError):
    """Bytes that look like a PNG or SVG badge but cannot be read safely."""


def extract_baked_credential(data: bytes) -> str | None:
    """The credential baked into a PNG or SVG badge (a compact JWS, or JSON text), else ``None``.

    Returns ``None`` for data that is neither PNG nor SVG or carries no credential; raises
    ``BadgeFormatError`` for a damaged or hostile file (entity declarations, oversize).
    """
    if len(data) > MAX_BADGE_BYTES:
        raise BadgeFormatError("badge file too large")
    if data.startswith(PNG_SIGNATURE):
        return _extract_png(data)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _extract_svg(data)
    return None


def _extract_png(data: bytes) -> str | None:
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise BadgeFormatError("truncated PNG chunk")
        pos += 12 + length
        if kind == b"IEND":
            break
        if kind != b"iTXt":
            continue
        keyword, _, rest = body.partition(b"\x00")
        if keyword != PNG_KEYWORD.encode("ascii") or len(rest) < 2:
            continue
        compressed, rest = rest[0], rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        if compressed:
            inflater = zlib.decompressobj()
            try:
                text = inflater.decompress(text, MAX_BADGE_BYTES)
            except zlib.error as exc:
                raise BadgeFormatError("corrupt compressed iTXt chunk") from exc
        try:
            return text.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise BadgeFormatError("iTXt text is not UTF-8") from exc
    return None


def _extract_svg(data: bytes) -> str | None:
    found: list[str] = []
    text: list[str] = []
    depth = 0

    def refuse(*_args: object) -> None:
        raise BadgeFormatError("SVG with entity declarations is refused")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        if depth:
            depth += 1
        elif name == f"{OB_NS} credential" and not found:
            if attrs.get("verify"):
                found.append(attrs["verify"].strip())
            else:
                depth = 1

    def end(_name: str) -> None:
        nonlocal depth
        if depth:
            depth -= 1
            if not depth and "".join(text).strip():
                found.append("".join(text).strip())

    def chars(value: str) -> None:
        if depth:
            text.append(value)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise BadgeFormatError(f"not well-formed SVG: {exc}") from exc
    return found[0] if found else None


# --- document badge: HTML → PDF -----------------------------------------------------------------


def _shield_svg(fill: str, status: str, size_mm: float) -> str:
    points = " ".join(f"{_num(x)},{_num(y)}" for x, y in _shield_points())
    strokes = "".join(
        f'<polyline points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in stroke)}" fill="none" '
        'stroke="#ffffff" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>'
        for stroke in _ICONS[status]
    )
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="-2 -2 48 56" width="{_num(size_mm * 48 / 56)}mm" '
        f'height="{_num(size_mm)}mm"><polygon points="{points}" fill="{fill}"/>{strokes}</svg>'
    )


@cache
def _document_template() -> string.Template:
    return string.Template((DATA_DIR / "document_badge.html").read_text("utf-8"))


def render_badge_pdf_html(
    *,
    mark_id: str,
    company: str,
    status: str,
    valid_until: date,
    psf_version: str,
    verify_url: str,
    credential_jwt: str | None = None,
    domains: str = "PSF-1..8",
    scores: Mapping[str, float | int | str] | Sequence[tuple[str, float | int | str]] = (),
    issued: date | None = None,
    issuer_name: str = "PAI",
    brand: Branding | None = None,
) -> str:
    """The document badge (A5 landscape: half an A4 sheet) as self-contained HTML and CSS.

    Nothing in it refers to an outside resource: the shield and the QR code (of ``verify_url``)
    are inline SVG; the organisation's logo, when ``brand`` has one, is a checked PNG/JPEG
    ``data:`` URI that ``render_badge_pdf`` allows by exact value. ``credential_jwt`` is not
    shown; ``render_badge_pdf`` attaches it to the PDF.

    ``brand`` (the organisation's branding) heads the document above the card; the card itself —
    the mark, its status and the issuer — stays the issuer's.
    """
    verify_url = _check_url(verify_url)
    status = _check_status(status)
    palette = _PALETTES[status]
    e = html.escape
    rows = scores.items() if isinstance(scores, Mapping) else scores
    score_rows = "".join(
        f"<tr><th>{e(_clean(str(d)))}</th><td>{e(_clean(str(v)))}</td></tr>" for d, v in rows
    )
    qr = segno.make(verify_url, error="m").svg_inline(scale=3, dark="#101828", border=2)
    status_word = "Active" if status == "active" else status.upper()
    validity = (
        f"Valid to {month_year(valid_until)}" if status == "active" else f"{status.capitalize()}, not valid"
    )
    values = {
        "title": e(f"PAI Production Safe — {_clean(company)} — {_clean(mark_id)}"),
        "accent": palette.panel,
        "status_color": palette.status_line if status != "active" else "#067647",
        "shield": _shield_svg(palette.shield, status, 22),
        "mark_id": e(_clean(mark_id)),
        "validity": e(validity),
        "company": e(_clean(company)),
        "status": e(status_word),
        "psf_version": e(_clean(psf_version)),
        "domains": e(_clean(domains)),
        "issued": e(issued.isoformat()) if issued else "—",
        "valid_until": e(valid_until.isoformat()),
        "issuer_name": e(_clean(issuer_name)),
        "score_rows": score_rows or '<tr><td colspan="2">—</td></tr>',
        "verify_url": e(verify_url),
        "qr": qr,
        "brand_header": _brand_header(brand),
        # The branded header (9 mm + 1.5 mm) takes its room from the card and the top margin.
        "card_height": "121.5mm" if brand is not None else "130mm",
        "page_margin": "7mm 9mm 9mm" if brand is not None else "9mm",
    }
    return _document_template().substitute(values)


def _brand_header(brand: Branding | None) -> str:
    if brand is None:
        return ""
    e = html.escape
    colour = brand.colour if _HEX_COLOUR.fullmatch(brand.colour) else "#1e3a8a"
    logo = f'<img class="brand-logo" src="{e(brand.logo_data_uri)}" alt="">' if brand.has_logo else ""
    return (
        f'<header class="brand-head" style="border-bottom-color: {colour}">{logo}'
        f'<span class="brand-name" style="color: {colour}">{e(_clean(brand.name))}</span></header>'
    )


def render_badge_pdf(
    *,
    mark_id: str,
    company: str,
    status: str,
    valid_until: date,
    psf_version: str,
    verify_url: str,
    credential_jwt: str | None = None,
    domains: str = "PSF-1..8",
    scores: Mapping[str, float | int | str] | Sequence[tuple[str, float | int | str]] = (),
    issued: date | None = None,
    issuer_name: str = "PAI",
    brand: Branding | None = None,
) -> bytes:
    """The document badge as PDF; the credential, when given, rides along as ``credential.jwt``;
    ``brand``: the organisation's branded header."""
    credential_jwt = _check_jwt(credential_jwt)
    document = render_badge_pdf_html(
        mark_id=mark_id,
        company=company,
        status=status,
        valid_until=valid_until,
        psf_version=psf_version,
        verify_url=verify_url,
        domains=domains,
        scores=scores,
        issued=issued,
        issuer_name=issuer_name,
        brand=brand,
    )
    attachments = [("credential.jwt", credential_jwt.encode("ascii"))] if credential_jwt else []
    logo = [brand.logo_data_uri] if brand is not None and brand.has_logo else []
    pdf, _refused = html_to_pdf(document, attachments=attachments, inline_images=logo)
    return pdf
