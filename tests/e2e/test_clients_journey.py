"""The MSP adviser's client workspace in Chromium: mia opens Clients, filters, switches into a
client with one click, then brands it (a refused colour first) and sees the branding applied."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.msp.branding_helpers import image_bytes


@pytest.mark.django_db(transaction=True)
def test_mia_filters_clients_switches_and_brands_a_client(page, personas):
    sign_in(page, "mia@msp.example")
    page.get_by_test_id("nav-clients").click()
    page.wait_for_url("**/clients/")
    rows = page.get_by_test_id("client-row")
    assert rows.count() == 2

    page.get_by_test_id("client-q").fill("glob")
    page.get_by_test_id("client-filter-submit").click()
    page.wait_for_url("**/clients/?q=glob*")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-slug") == "globex"

    rows.first.get_by_test_id("client-switch").click()
    page.wait_for_url("**/dashboard/")
    assert "Globex" in page.get_by_test_id("active-org").inner_text()

    page.get_by_test_id("nav-clients").click()
    globex = page.locator('[data-testid=client-row][data-slug="globex"]')
    assert "working here now" in globex.inner_text()
    globex.get_by_role("link", name="Branding").click()
    page.wait_for_url("**/clients/globex/branding/")

    page.fill("#id_brand_name", "Globex Secure")
    page.fill("#id_brand_colour", "#ffee00")  # too light to read on white
    page.get_by_test_id("branding-save").click()
    page.wait_for_load_state()
    assert "too light to read on white" in page.locator(".errorlist").first.inner_text()

    page.fill("#id_brand_colour", "#7c2d12")
    page.set_input_files(
        "#id_logo",
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": image_bytes("PNG", (200, 60))}],
    )
    page.get_by_test_id("branding-save").click()
    page.wait_for_url("**/clients/globex/branding/")
    assert "Branding of Globex saved" in page.locator(".messages").inner_text()
    preview = page.get_by_test_id("brand-preview")
    assert preview.get_by_test_id("brand-name").inner_text() == "Globex Secure"
    assert preview.get_by_test_id("brand-logo").evaluate("img => img.naturalWidth") == 200
    assert preview.locator("rect").get_attribute("fill") == "#7c2d12"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "clients-branding.png"), full_page=True)

    # The Clients overview shows the display name beside the organisation's name.
    page.get_by_test_id("nav-clients").click()
    assert "Globex Secure" in page.locator('[data-testid=client-row][data-slug="globex"]').inner_text()
