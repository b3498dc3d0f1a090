from __future__ import annotations

from tests.e2e.conftest import sign_in


def test_landing_psf_sign_in_switch_sign_out(page, personas):
    page.goto("/")
    assert page.locator("[data-route]").count() == 4
    page.get_by_role("link", name="Learn the standard →").click()
    page.wait_for_url("**/psf/")
    assert page.locator(".domain-card").count() == 8
    page.get_by_test_id("domain-PSF-3").click()
    page.wait_for_url("**/psf/PSF-3/")
    assert page.locator("[data-testid=criterion]").count() == 5
    page.locator("#PSF-3\\.1 summary").click()  # open the scoring levels
    assert page.locator("#PSF-3\\.1 table.levels tr").count() == 6

    sign_in(page, "mia@msp.example")
    page.wait_for_url("**/dashboard/")
    assert "Acme AI" in page.get_by_test_id("active-org").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("org-switch").select_option(label="Globex · Practitioner")
    assert "Globex" in page.get_by_test_id("active-org").inner_text()
    page.goto("/psf/")
    assert "Globex" in page.get_by_test_id("active-org").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Sign in", exact=True).first.is_visible()
    assert page.get_by_test_id("active-org").count() == 0


def test_wrong_password_shows_a_message(page, personas):
    sign_in(page, "pat@acme.example", "not-the-password")
    assert "do not match" in page.get_by_test_id("login-error").inner_text()
