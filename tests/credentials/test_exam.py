"""AIDA attempts through the pages and services: start and resume, answers saved as they go,
nothing in the page reveals the answer, refusals (tampering, twice, empty, the wait) change
nothing, and a pass issues AIDA-<year>-<nnnn> valid two years."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from credentials.bank import load_bank
from credentials.models import ExamAttempt, PersonalCredential
from tests.credentials.conftest import pass_attempt

pytestmark = pytest.mark.django_db


def start(client) -> ExamAttempt:  # type: ignore[no-untyped-def]
    response = client.post("/credentials/aida/")
    assert response.status_code == 302
    return ExamAttempt.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_start_resume_and_answers_saved_as_they_go(personas, client_for):
    c = client_for(personas.pat)
    attempt = start(c)
    assert attempt.questions.count() == 20
    assert start(c).pk == attempt.pk  # starting again resumes the open attempt
    first = attempt.questions.get(position=1)
    token = first.option_tokens[2]
    r = c.post(
        f"/credentials/aida/attempts/{attempt.public_id}/answer/", {"q1": token}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    first.refresh_from_db()
    assert first.chosen == first.option_order[2]
    page = c.get(f"/credentials/aida/attempts/{attempt.public_id}/").content.decode()
    assert re.search(rf'value="{re.escape(token)}" checked', page)  # resumed after a reload


def test_the_page_reveals_nothing_about_the_answer(personas, client_for):
    c = client_for(personas.pat)
    attempt = start(c)
    page = c.get(f"/credentials/aida/attempts/{attempt.public_id}/").content.decode()
    bank = load_bank()
    values = re.findall(r'type="radio" name="q\d+" value="([^"]+)"', page)
    assert len(values) == 80
    tokens = {t for aq in attempt.questions.all() for t in aq.option_tokens}
    assert set(values) == tokens  # only opaque per-attempt tokens
    assert not any(v.isdigit() for v in values)
    for aq in attempt.questions.all():
        assert aq.question_id not in page  # no bank ids either
        q = bank.question(aq.question_id)
        assert q.explanation[:40] not in page


def test_options_are_shuffled_per_attempt(personas, client_for):
    orders = []
    for user in (personas.pat, personas.gus, personas.mia, personas.alice):
        attempt = start(client_for(user))
        orders.append([aq.option_order for aq in attempt.questions.all()])
    assert len({str(o) for o in orders}) == 4
    assert any(order != [0, 1, 2, 3] for attempt in orders for order in attempt)


def test_tampering_is_refused_and_changes_nothing(personas, client_for):
    pat, gus = client_for(personas.pat), client_for(personas.gus)
    attempt = start(pat)
    url = f"/credentials/aida/attempts/{attempt.public_id}"
    other = attempt.questions.get(position=2).option_tokens[0]
    assert pat.post(f"{url}/answer/", {"q1": other}).status_code == 400  # another question's token
    assert pat.post(f"{url}/answer/", {"q1": "forged"}).status_code == 400
    assert pat.post(f"{url}/answer/", {"q21": other}).status_code == 400  # not in the attempt
    assert pat.post(f"{url}/answer/", {"qx": other}).status_code == 400
    assert gus.get(f"{url}/").status_code == 404  # someone else's attempt
    assert gus.post(f"{url}/answer/", {"q2": other}).status_code == 404
    assert pat.get("/credentials/aida/attempts/not-a-uuid/").status_code == 404
    assert pat.get("/credentials/aida/attempts/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert not attempt.questions.filter(chosen__isnull=False).exists()
    body = pat.post(f"{url}/answer/", {"q1": "forged"}).content.decode()
    assert "not one of the question" in body


def test_empty_submission_is_refused_not_graded(personas, client_for):
    c = client_for(personas.pat)
    attempt = start(c)
    r = c.post(f"/credentials/aida/attempts/{attempt.public_id}/submit/", {"holder_name": "Pat"})
    assert r.status_code == 400
    assert "not answered any question" in r.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted is None and attempt.score is None


def test_submitting_twice_is_refused(personas, client_for):
    attempt = pass_attempt(personas.pat)
    c = client_for(personas.pat)
    r = c.post(f"/credentials/aida/attempts/{attempt.public_id}/submit/", {"holder_name": "Pat"})
    assert r.status_code == 409 and "already submitted" in r.content.decode()
    token = attempt.questions.get(position=1).option_tokens[0]
    assert c.post(f"/credentials/aida/attempts/{attempt.public_id}/answer/", {"q1": token}).status_code == 409
    assert PersonalCredential.objects.count() == 1


def test_the_wait_between_attempts(personas, client_for):
    attempt = pass_attempt(personas.pat, wrong=10)  # 10/20: not passed
    assert not attempt.passed and attempt.score == 10
    c = client_for(personas.pat)
    r = c.post("/credentials/aida/", follow=True)
    text = r.content.decode()
    assert "72 hours between attempts" in text and "You can start the next one from" in text
    assert ExamAttempt.objects.filter(user=personas.pat).count() == 1
    ExamAttempt.objects.filter(pk=attempt.pk).update(
        submitted=timezone.now() - timedelta(hours=72, minutes=1)
    )
    assert c.post("/credentials/aida/").status_code == 302
    assert ExamAttempt.objects.filter(user=personas.pat).count() == 2


def test_result_shows_score_domains_and_explanations(personas, client_for):
    attempt = pass_attempt(personas.pat, wrong=4)
    assert attempt.passed and attempt.score == 16
    page = client_for(personas.pat).get(f"/credentials/aida/attempts/{attempt.public_id}/").content.decode()
    assert "16 / 20" in page and "PSF-1" in page and page.count('data-testid="explanation"') == 20
    assert attempt.credential.credential_id in page
    assert "linkedin.com/profile/add?" in page and "certId=AIDA-" in page and "certUrl=" in page


def test_a_pass_issues_sequential_ids_valid_two_years(personas):
    first = pass_attempt(personas.pat).credential
    second = pass_attempt(personas.gus, holder_name="Gus").credential
    year = timezone.localdate().year
    assert first.credential_id == f"AIDA-{year}-0001" and second.credential_id == f"AIDA-{year}-0002"
    assert first.expires == first.issued.replace(year=first.issued.year + 2)
    assert first.status_index != second.status_index


def test_a_pass_needs_a_name(personas, client_for):
    from credentials.services import attempt_answer, attempt_start

    bank = load_bank()
    attempt = attempt_start(user=personas.pat)
    answers = {
        str(aq.position): aq.option_tokens[aq.option_order.index(bank.question(aq.question_id).answer)]
        for aq in attempt.questions.all()
    }
    attempt_answer(attempt=attempt, user=personas.pat, answers=answers)
    r = client_for(personas.pat).post(
        f"/credentials/aida/attempts/{attempt.public_id}/submit/", {"holder_name": " "}
    )
    assert r.status_code == 400 and "Write your name" in r.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted is None
