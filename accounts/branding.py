"""An organisation's branding, in one place: what an MSP sets per client and what exports show.

Branding is applied to the organisation's own documents (evidence packs, gap reports, the
document badge's header, e-mails, the MSP launch pack); never to the public trust-mark record,
which stays the issuer's.

- The logo is checked by content (Pillow opens and verifies it): PNG or JPEG only, at most
  :data:`LOGO_MAX_BYTES`, at most :data:`LOGO_MAX_PIXELS` on a side. SVG is refused: it can carry
  script.
- The primary colour must be a plain ``#rrggbb`` and reach WCAG AA contrast (4.5:1) against
  white or against our dark text, since it is used for headings on white and for a banner with
  white text.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Organisation

DEFAULT_COLOUR = "#1e3a8a"
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MIN_CONTRAST = 4.5
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


class BrandingError(ValueError):
    """A logo or colour we refuse, with a message for the person who sent it."""


@dataclass(frozen=True)
class Branding:
    """What a branded document shows. ``logo_data_uri`` is empty when there is no logo."""

    name: str
    colour: str
    text_on_colour: str
    logo_data_uri: str = ""

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_data_uri)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two ``#rrggbb`` colours (1 to 21)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def clean_colour(value: str) -> str:
    """A colour we accept (lower-case ``#rrggbb``), or :class:`BrandingError` saying why not.

    An empty value means "no colour" (our default is used)."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _HEX.fullmatch(value):
        raise BrandingError("Enter the colour as #rrggbb, for example #1d4ed8.")
    value = value.lower()
    ratio = contrast_ratio(value, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise BrandingError(
            f"This colour is too light to read on white (contrast {ratio:.1f}:1, at least "
            f"{MIN_CONTRAST}:1 is needed). Choose a darker shade."
        )
    return value


def text_on(colour: str) -> str:
    """White or near-black, whichever reads better on ``colour``."""
    return "#ffffff" if contrast_ratio(colour, "#ffffff") >= contrast_ratio(colour, "#111827") else "#111827"


def check_logo(data: bytes) -> str:
    """The MIME type of a logo we accept, or :class:`BrandingError`. Checks the content, not the
    file name or the declared type."""
    if len(data) > LOGO_MAX_BYTES:
        raise BrandingError("The logo is larger than 1 MB. Upload a smaller PNG or JPEG.")
    if not data:
        raise BrandingError("The logo file is empty.")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BrandingError(
            "The logo is not a PNG or JPEG image (SVG and other formats are refused)."
        ) from exc
    if kind not in LOGO_TYPES:
        raise BrandingError("The logo is not a PNG or JPEG image (SVG and other formats are refused).")
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise BrandingError(f"The logo is larger than {LOGO_MAX_PIXELS} pixels on a side.")
    return LOGO_TYPES[kind]


def branding_for(org: Organisation | None) -> Branding:
    """The branding a document of ``org`` shows (our defaults where the organisation set none)."""
    if org is None:
        return Branding(name="WorkflowOS", colour=DEFAULT_COLOUR, text_on_colour="#ffffff")
    colour = org.brand_colour if _HEX.fullmatch(org.brand_colour or "") else DEFAULT_COLOUR
    logo = ""
    if org.brand_logo and org.brand_logo_type in LOGO_TYPES.values():
        logo = f"data:{org.brand_logo_type};base64,{base64.b64encode(bytes(org.brand_logo)).decode('ascii')}"
    return Branding(
        name=org.brand_name or org.name,
        colour=colour.lower(),
        text_on_colour=text_on(colour.lower()),
        logo_data_uri=logo,
    )
