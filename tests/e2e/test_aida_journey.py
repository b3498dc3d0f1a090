"""Pat takes AIDA in Chromium and passes (the test reads the correct answers from the database,
as no page reveals them), sees the result, opens the registry record and the verify API."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"


def test_pat_takes_aida_passes_and_is_in_the_registry(page, personas, server_url):
    from credentials.bank import load_bank
    from credentials.models import ExamAttempt, PersonalCredential

    sign_in(page, "pat@acme.example")
    page.goto("/")
    page.get_by_test_id("learn-credentials").click()
    page.wait_for_url("**/credentials/")
    page.get_by_test_id("start-aida").click()
    page.wait_for_url("**/credentials/aida/")
    page.get_by_test_id("start-attempt").click()
    page.wait_for_url("**/credentials/aida/attempts/*/")

    attempt = ExamAttempt.objects.get(user=personas.pat)
    bank = load_bank()
    rows = list(attempt.questions.all())
    # Answer the first half by clicking (each click saves through htmx), then reload: resumed.
    for aq in rows[:10]:
        token = aq.option_tokens[aq.option_order.index(bank.question(aq.question_id).answer)]
        with page.expect_response(lambda r: r.url.endswith("/answer/")):
            page.locator(f'input[name="q{aq.position}"][value="{token}"]').check()
    page.reload()
    assert page.locator("input[type=radio]:checked").count() == 10
    for aq in rows[10:]:
        token = aq.option_tokens[aq.option_order.index(bank.question(aq.question_id).answer)]
        page.locator(f'input[name="q{aq.position}"][value="{token}"]').check()
    page.get_by_test_id("holder-name").fill("Pat <Practitioner>")
    page.get_by_test_id("listed").check()
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "Passed" in page.get_by_test_id("result").inner_text()
    assert "20 / 20" in page.get_by_test_id("score").inner_text()
    credential = PersonalCredential.objects.get(user=personas.pat)
    assert credential.holder_name == "Pat <Practitioner>"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "aida-01-result.png"), full_page=True)

    page.get_by_test_id("registry-link").click()
    page.wait_for_url(f"**/registry/{credential.credential_id}")
    assert "Active — valid" in page.get_by_test_id("status").inner_text()
    assert page.get_by_test_id("holder").inner_text() == "Pat <Practitioner>"
    page.screenshot(path=str(ARTIFACTS / "aida-02-registry.png"), full_page=True)

    page.goto(f"/registry/?q={credential.credential_id}")
    assert credential.credential_id in page.get_by_test_id("registry-results").inner_text()

    response = page.request.get(f"{server_url}/api/certify/credential/verify?id={credential.credential_id}")
    body = json.loads(response.text())
    assert response.status == 200 and body["valid"] is True and body["holder"] == "Pat <Practitioner>"
