"""Sign-up in Chromium: a visitor creates an account from the landing page, reads the verification
e-mail from the outbox, confirms the address, creates an organisation and lands on its dashboard.

Runs against Django's live server and, with WORKFLOWOS_TEST_PRODUCTION=1, against the production
stack (which the stack starts with WORKFLOWOS_SIGNUP=open: production's default is invite-only)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

PASSWORD = "amber-orchard-kestrel-64"
EMAIL = "visitor@example.org"


@pytest.fixture(autouse=True)
def _open_sign_up(settings: Any) -> None:
    settings.WORKFLOWOS_SIGNUP = "open"  # the live server (the production stack sets its own)
    settings.WORKFLOWOS_TERMS_URL = "https://operator.example/terms"
    settings.WORKFLOWOS_PRIVACY_URL = ""


def _verification_link(outbox: Any) -> str:
    deadline = time.monotonic() + 30  # the production stack writes its outbox file after commit
    while time.monotonic() < deadline:
        sent = [m for m in outbox() if EMAIL in m.to and "Confirm" in m.subject]
        if sent:
            match = re.search(r"https?://[^/\s]+(/accounts/verify-email/[^/\s]+/)", sent[-1].body)
            assert match, sent[-1].body
            return match.group(1)
        time.sleep(0.3)
    raise AssertionError(f"no verification e-mail to {EMAIL}: {[(m.to, m.subject) for m in outbox()]}")


def test_visitor_signs_up_verifies_and_creates_an_organisation(
    page: Any, outbox: Any, rubric_version: Any
) -> None:
    from tests.production_stack import ENABLED

    page.goto("/")
    page.get_by_test_id("landing-create-account").click()
    page.wait_for_url("**/accounts/sign-up/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_name", "Vera Visitor")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert "too short" in page.locator(".errorlist").first.inner_text()
    if not ENABLED:  # the stack has no terms URL of its own: no box to tick there
        assert page.get_by_test_id("terms-link").get_attribute("href") == "https://operator.example/terms"
        page.check("#id_agree")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/sign-up/sent/")
    assert EMAIL in page.get_by_test_id("sign-up-sent").inner_text()

    # Not signed in yet: the dashboard asks for a sign-in.
    page.goto("/dashboard/")
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))

    link = _verification_link(outbox)
    page.goto(link)
    page.get_by_test_id("verify-confirm").click()
    page.wait_for_url("**/accounts/welcome/")
    assert "verified" in page.locator(".messages").inner_text()

    page.fill("#id_name", "Visitor Labs")
    page.get_by_role("button", name="Create the organisation").click()
    page.wait_for_url("**/dashboard/")
    assert "Visitor Labs" in page.get_by_test_id("active-org").inner_text()
    assert "Visitor Labs · Organisation admin" in page.get_by_test_id("org-switch").inner_text()
    assert "Visitor Labs is ready" in page.locator(".messages").inner_text()

    # The link was used: opening it again says so and changes nothing.
    page.goto(link)
    assert "already used" in page.get_by_test_id("verify-problem").inner_text()

    # As the new organisation's admin she can invite her team.
    page.get_by_test_id("nav-organisation").click()
    page.wait_for_url("**/organisation/")
    assert page.get_by_role("button", name="Send invitation").count() == 1
