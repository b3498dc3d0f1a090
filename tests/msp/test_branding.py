"""The branding page: who may change it, what it accepts (logo by content, colour by contrast),
and that every change is audited."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.msp.branding_helpers import image_bytes, noisy_png

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10"/></svg>'


def _post(c, url="/organisation/branding/", **fields):
    data = {"brand_name": "", "brand_colour": "", **fields}
    return c.post(url, data)


def test_admin_sets_name_colour_and_logo_and_it_is_audited(personas, client_for):
    from accounts.branding import branding_for
    from core.models import AuditEvent

    c = client_for(personas.alice)
    page = c.get("/organisation/branding/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    logo = SimpleUploadedFile("logo.png", image_bytes("PNG"), content_type="image/png")
    resp = _post(c, brand_name="  Acme   Trust  ", brand_colour="#1D4ED8", logo=logo)
    assert resp.status_code == 302 and resp["Location"] == "/organisation/branding/"
    personas.acme.refresh_from_db()
    assert personas.acme.brand_name == "Acme Trust"
    assert personas.acme.brand_colour == "#1d4ed8"
    assert personas.acme.brand_logo_type == "image/png"
    brand = branding_for(personas.acme)
    assert brand.has_logo and brand.name == "Acme Trust"
    ev = AuditEvent.objects.filter(action="organisation.branding_changed").latest("sequence")
    assert ev.actor_email == "alice@acme.example" and ev.organisation_id_ref == personas.acme.pk
    assert set(ev.data) == {"brand_name", "brand_colour", "brand_logo"}
    assert len(ev.data["brand_logo"]["sha256"]) == 64  # a fingerprint, not the image
    html = c.get("/organisation/branding/").content.decode()
    assert 'data-testid="brand-logo"' in html and "Remove the current logo" in html

    # Remove the logo.
    resp = _post(c, brand_name="Acme Trust", brand_colour="#1d4ed8", remove_logo="on")
    assert resp.status_code == 302
    personas.acme.refresh_from_db()
    assert not personas.acme.brand_logo and personas.acme.brand_logo_type == ""
    assert AuditEvent.objects.filter(action="organisation.branding_changed").count() == 2
    # Saving the same values changes nothing and audits nothing.
    _post(c, brand_name="Acme Trust", brand_colour="#1d4ed8")
    assert AuditEvent.objects.filter(action="organisation.branding_changed").count() == 2


def test_the_adviser_brands_a_client_from_the_clients_overview(personas, client_for):
    c = client_for(personas.mia)
    assert 'href="/clients/globex/branding/"' in c.get("/clients/").content.decode()
    resp = _post(c, "/clients/globex/branding/", brand_name="Globex Secure", brand_colour="#7c2d12")
    assert resp.status_code == 302 and resp["Location"] == "/clients/globex/branding/"
    personas.globex.refresh_from_db()
    assert (personas.globex.brand_name, personas.globex.brand_colour) == ("Globex Secure", "#7c2d12")


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("logo.png", SVG, "not a PNG or JPEG"),  # an SVG renamed .png
        ("logo.svg", SVG, "not a PNG or JPEG"),
        ("logo.png", image_bytes("GIF"), "not a PNG or JPEG"),  # a real GIF called .png
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a PNG or JPEG"),  # a PNG header only
    ],
)
def test_logos_are_refused_by_content(personas, client_for, name, data, message):
    c = client_for(personas.alice)
    resp = _post(c, brand_name="X", logo=SimpleUploadedFile(name, data, content_type="image/png"))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    personas.acme.refresh_from_db()
    assert not personas.acme.brand_logo and personas.acme.brand_name == ""  # nothing saved


def test_a_logo_over_1_mb_is_refused(personas, client_for):
    big = noisy_png(1024 * 1024 + 1)
    assert len(big) > 1024 * 1024
    resp = _post(
        client_for(personas.alice), logo=SimpleUploadedFile("big.png", big, content_type="image/png")
    )
    assert resp.status_code == 400 and "larger than 1 MB" in resp.content.decode()


@pytest.mark.parametrize(
    "colour,message",
    [
        ("#ffff00", "too light to read on white"),
        ("#eeeeee", "too light"),
        ("blue", "#rrggbb"),
        ("#12345", "#rrggbb"),
    ],
)
def test_colours_without_contrast_or_form_are_refused(personas, client_for, colour, message):
    resp = _post(client_for(personas.alice), brand_colour=colour)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    personas.acme.refresh_from_db()
    assert personas.acme.brand_colour == ""


def test_a_practitioner_may_not_brand_and_sees_no_link(personas, client_for):
    c = client_for(personas.pat)
    assert c.get("/organisation/branding/").status_code == 403
    assert _post(c, brand_name="Pat's brand").status_code == 403
    assert 'data-testid="org-branding-link"' not in c.get("/organisation/").content.decode()
    assert (
        'data-testid="org-branding-link"' in client_for(personas.alice).get("/organisation/").content.decode()
    )


def test_can_brand_is_the_one_rule(personas):
    from accounts.access import can_brand
    from accounts.models import Membership

    m = {
        (x.user.email, x.organisation.slug): x
        for x in Membership.objects.select_related("user", "organisation")
    }
    assert can_brand(m[("alice@acme.example", "acme-ai")])  # admin
    assert can_brand(m[("mia@msp.example", "acme-ai")])  # adviser: also in Globex
    assert can_brand(m[("mia@msp.example", "globex")])
    assert not can_brand(m[("pat@acme.example", "acme-ai")])
    assert not can_brand(m[("gus@globex.example", "globex")])


def test_branding_text_is_escaped(personas, client_for):
    c = client_for(personas.alice)
    _post(c, brand_name='<img src=x onerror="alert(1)">')
    html = c.get("/organisation/branding/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


@pytest.mark.parametrize("url", ["/clients/", "/organisation/branding/", "/clients/globex/branding/"])
def test_workspace_pages_keep_to_the_content_security_policy(personas, client_for, url):
    from tests.test_csp import _HANDLER, _INLINE_SCRIPT, _STYLE_ATTR, strictness_problems

    personas.globex.brand_colour = "#7c2d12"
    personas.globex.brand_logo = image_bytes("PNG")
    personas.globex.brand_logo_type = "image/png"
    personas.globex.save()
    resp = client_for(personas.mia).get(url)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert not strictness_problems(resp)
    assert not _INLINE_SCRIPT.search(html) and not _HANDLER.search(html) and not _STYLE_ATTR.search(html)
