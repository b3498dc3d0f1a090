"""accounts.branding: logos are checked by content, colours by contrast."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accounts.branding import BrandingError, branding_for, check_logo, clean_colour, contrast_ratio
from accounts.models import Organisation


def _image(kind: str, size: tuple[int, int] = (40, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 60, 120)).save(buf, format=kind)
    return buf.getvalue()


def test_png_and_jpeg_are_accepted_by_content() -> None:
    assert check_logo(_image("PNG")) == "image/png"
    assert check_logo(_image("JPEG")) == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a" + b"\x00" * 20,
        b"\x89PNG\r\n\x1a\n" + b"garbage",
        b"",
    ],
)
def test_other_content_is_refused(data: bytes) -> None:
    with pytest.raises(BrandingError):
        check_logo(data)


def test_gif_is_refused_even_when_valid() -> None:
    with pytest.raises(BrandingError):
        check_logo(_image("GIF"))


def test_over_one_megabyte_is_refused() -> None:
    with pytest.raises(BrandingError, match="1 MB"):
        check_logo(_image("PNG") + b"\x00" * (1024 * 1024))


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_light_colours_are_refused_and_dark_ones_kept() -> None:
    assert clean_colour("#1D4ED8") == "#1d4ed8"
    assert clean_colour("") == ""
    with pytest.raises(BrandingError, match="too light"):
        clean_colour("#ffff00")
    with pytest.raises(BrandingError, match="#rrggbb"):
        clean_colour("red; background:url(x)")


@pytest.mark.django_db
def test_branding_for_falls_back_to_defaults_and_embeds_the_logo() -> None:
    org = Organisation.objects.create(name="Initech", slug="initech-b")
    b = branding_for(org)
    assert (b.name, b.colour, b.has_logo) == ("Initech", "#1e3a8a", False)
    org.brand_name, org.brand_colour = "Initech · advised by Northwind", "#0F766E"
    org.brand_logo, org.brand_logo_type = _image("PNG"), "image/png"
    org.save()
    org.refresh_from_db()
    b = branding_for(org)
    assert b.name == "Initech · advised by Northwind"
    assert b.colour == "#0f766e" and b.text_on_colour == "#ffffff"
    assert b.logo_data_uri.startswith("data:image/png;base64,iVBOR")
