"""Four eyes in the browser: ada (the mark's assessor) asks to revoke Acme AI's mark; the public
record does not change; lee (a lead assessor) sees the pending request and approves it; the
public record then says revoked, with its status history and without the confidential reason."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.trustmarks.helpers import issue_mark, lead_assessor

REASON = "CONFIDENTIAL: the assessed refund agent was switched to an unreviewed model."


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lifecycle-{name}.png"), full_page=True)


def switch_to(page, email: str) -> None:
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    sign_in(page, email)


def test_revocation_needs_a_second_assessor(page, personas, rubric_version):
    from trustmarks.models import LifecycleRequest, TrustMark

    mark = issue_mark(personas, rubric_version)
    lead_assessor()
    manage = f"/trust-marks/{mark.mark_id}/"

    # 1. ada asks to revoke: a pending request, nothing public changes.
    switch_to(page, "ada@workflowos.example")
    page.goto(manage)
    page.fill("#reason-revoke", REASON)
    page.get_by_test_id("action-revoke").get_by_role("button").click()
    page.wait_for_url(f"**{manage}")
    pending = page.get_by_test_id("pending-request")
    assert "Revoke" in pending.inner_text() and REASON in pending.inner_text()
    assert page.get_by_test_id("pending-own").is_visible()
    assert page.get_by_test_id("approve-request").count() == 0
    assert page.get_by_test_id("status").inner_text() == "Active"
    shot(page, "01-requested")
    assert TrustMark.objects.get(pk=mark.pk).status == "active"

    # The public record still says active while the request waits.
    switch_to(page, "lee@workflowos.example")  # signs ada out first
    page.goto(f"/verify/{mark.mark_id}")
    assert "Active — valid" in page.get_by_test_id("status").inner_text()

    # 2. lee, a lead assessor, sees the same request and approves it.
    page.goto(manage)
    assert REASON in page.get_by_test_id("pending-request").inner_text()
    assert "Ada Assessor" in page.get_by_test_id("pending-request").inner_text()
    shot(page, "02-pending-for-lead")
    page.fill("#note-approve", "Agreed after reading the surveillance notes.")
    page.get_by_test_id("approve-request").get_by_role("button").click()
    page.wait_for_url(f"**{manage}")
    assert page.get_by_test_id("status").inner_text() == "Revoked"
    assert page.get_by_test_id("pending-request").count() == 0
    assert (
        "asked by Ada Assessor, approved by Lee Lead Assessor" in page.get_by_test_id("history").inner_text()
    )
    request = LifecycleRequest.objects.get()
    assert request.state == "approved" and request.decided_by.email == "lee@workflowos.example"

    # 3. Signed out, the public record says revoked and shows the history, never the reason.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(f"/verify/{mark.mark_id}")
    assert "Revoked — not valid" in page.get_by_test_id("status").inner_text()
    history = page.get_by_test_id("status-history").inner_text()
    assert "Issued" in history and "Revoked" in history
    assert history.index("Issued") < history.index("Revoked")
    body = page.content()
    assert "CONFIDENTIAL" not in body and "Ada Assessor" not in body and "Lee Lead" not in body
    shot(page, "03-public-record")
    api = page.request.get(f"/api/certify/trust-mark/verify?id={mark.mark_id}")
    assert api.json()["valid"] is False and api.json()["status"] == "revoked"


def test_renewal_after_a_surveillance_review(page, personas, rubric_version):
    from trustmarks.models import TrustMark

    mark = issue_mark(personas, rubric_version, days_ago=320)  # review due
    manage = f"/trust-marks/{mark.mark_id}/"
    switch_to(page, "ada@workflowos.example")
    page.goto(manage)
    assert "needs a completed surveillance review" in page.get_by_test_id("renew-blocked").inner_text()
    assert page.get_by_test_id("action-renew").count() == 0
    page.get_by_test_id("surveillance-review-link").click()
    page.wait_for_url(f"**{manage}review/")
    page.get_by_label("Yes: the controls assessed are still in place").check()
    page.fill("#id_score_PSF-8", "3.1")
    page.fill("#id_notes", "Human-review queue sampled; vendor fallback now tested monthly.")
    shot(page, "04-review-form")
    page.get_by_test_id("save-review").click()
    page.wait_for_url(f"**{manage}")
    assert "PSF-8" in page.get_by_test_id("reviews").inner_text()
    page.fill("#reason-renew", "Surveillance review passed.")
    page.get_by_test_id("action-renew").get_by_role("button").click()
    page.wait_for_url(f"**{manage}")
    renewed = TrustMark.objects.get(pk=mark.pk)
    assert renewed.scores["PSF-8"] == 3.1 and renewed.expires > mark.expires
    page.goto(f"/verify/{mark.mark_id}")
    assert "Renewed" in page.get_by_test_id("status-history").inner_text()
