"""Organisations run themselves, in Chromium: an admin invites, the invitee joins; a forgotten
password is reset from the sign-in page; an API token is created, used and revoked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tests.e2e.conftest import sign_in

NEW_PASSWORD = "copper-kettle-lantern-58"


def _mail_to(address: str) -> Any:
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no e-mail to {address}: {[m.to for m in mail.outbox]}"
    return sent[-1]


def _path_in(body: str, pattern: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", body)
    assert match, body
    return match.group(1)


@pytest.mark.local_server  # reads this process's mail outbox, which a production server does not fill
def test_admin_invites_and_the_invitee_joins_as_practitioner(page, browser, server_url, personas):
    sign_in(page, "alice@acme.example")
    page.get_by_test_id("nav-organisation").click()
    page.wait_for_url("**/organisation/")
    page.fill("#id_email", "newbie@example.org")
    page.select_option("#id_role", "practitioner")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state()
    assert "Invitation sent to newbie@example.org" in page.locator(".messages").inner_text()
    assert page.locator('[data-testid=invitation-row][data-email="newbie@example.org"]').count() == 1

    invitation = _mail_to("newbie@example.org")
    link = _path_in(invitation.body, r"/invitations/[A-Za-z0-9_-]+/")

    invitee_ctx = browser.new_context(base_url=server_url)
    try:
        invitee = invitee_ctx.new_page()
        invitee.goto(link)
        assert "Join Acme AI" in invitee.locator("h1").inner_text()
        invitee.fill("#id_name", "Nina Newbie")
        invitee.fill("#id_password1", "short")
        invitee.fill("#id_password2", "short")
        invitee.get_by_role("button", name="Create account and join").click()
        invitee.wait_for_load_state()
        assert "too short" in invitee.locator(".errorlist").first.inner_text()
        invitee.fill("#id_password1", NEW_PASSWORD)
        invitee.fill("#id_password2", NEW_PASSWORD)
        invitee.get_by_role("button", name="Create account and join").click()
        invitee.wait_for_url("**/dashboard/")
        assert "Acme AI" in invitee.get_by_test_id("active-org").inner_text()
        assert "Acme AI · Practitioner" in invitee.get_by_test_id("org-switch").inner_text()
        invitee.get_by_test_id("nav-organisation").click()
        invitee.wait_for_url("**/organisation/")
        assert invitee.get_by_role("button", name="Send invitation").count() == 0  # read-only
        # The link is single-use.
        invitee.goto(link)
        assert "already used" in invitee.get_by_test_id("invitation-problem").inner_text()
    finally:
        invitee_ctx.close()

    page.reload()
    row = page.locator('[data-testid=member-row][data-email="newbie@example.org"]')
    assert row.get_by_test_id("member-role").inner_text() == "Practitioner"
    assert page.locator('[data-testid=invitation-row][data-email="newbie@example.org"]').count() == 0


@pytest.mark.local_server  # reads this process's mail outbox
def test_password_reset_from_the_sign_in_page(page, personas):
    page.goto("/accounts/sign-in/")
    page.get_by_test_id("forgot-password").click()
    page.wait_for_url("**/accounts/password-reset/")
    page.fill("#id_email", "pat@acme.example")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/accounts/password-reset/sent/")
    assert "If an account uses that address" in page.get_by_test_id("reset-sent").inner_text()

    link = _path_in(_mail_to("pat@acme.example").body, r"/accounts/reset/\S+/")
    page.goto(link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url("**/accounts/reset/done/")
    assert "Sign in with the new password" in page.get_by_test_id("reset-complete").inner_text()

    sign_in(page, "pat@acme.example", NEW_PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.goto(link)  # a used link
    assert "already used" in page.get_by_test_id("reset-invalid").inner_text()


def test_token_create_use_revoke(page, personas):
    sign_in(page, "pat@acme.example")
    page.get_by_test_id("nav-account").click()
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/account/tokens/")
    page.fill("#id_name", "Laptop script")
    page.select_option("#id_lifetime", "30")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    raw = page.get_by_test_id("new-token").input_value()
    assert raw.startswith("wfos_")

    resp = page.request.get("/api/me/", headers={"Authorization": f"Token {raw}"})
    assert resp.status == 200 and resp.json()["email"] == "pat@acme.example"

    page.goto("/account/tokens/")
    assert raw not in page.content()  # shown once
    row = page.locator('[data-testid=token-row][data-name="Laptop script"]')
    assert "never" not in row.locator("td").nth(4).inner_text()  # last used is recorded
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert "revoked" in row.inner_text()

    resp = page.request.get("/api/me/", headers={"Authorization": f"Token {raw}"})
    assert resp.status == 401
    assert resp.json()["error"] == "token_revoked"
