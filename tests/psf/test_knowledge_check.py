from __future__ import annotations

import re

import pytest

from psf.knowledge import draw, load_bank

pytestmark = pytest.mark.django_db


def test_bank_and_draw():
    bank = load_bank()
    assert len(bank.questions) >= 20
    qs = draw(7)
    assert len(qs) == 20
    assert len({q.id for q in qs}) == 20
    domains = [q.domain for q in qs]
    assert all(domains.count(f"PSF-{i}") >= 2 for i in range(1, 9))
    assert [q.id for q in draw(7)] == [q.id for q in qs]


def _attempt(client):
    html = client.get("/psf/knowledge-check/").content.decode()
    attempt = re.search(r'name="attempt" value="([^"]+)"', html).group(1)
    ids = re.findall(r'name="q_([a-z0-9]+)"', html)
    return attempt, list(dict.fromkeys(ids))


def test_all_correct_passes_and_tampering_is_refused(client):
    attempt, ids = _attempt(client)
    assert len(ids) == 20
    answers = {q.id: q.answer for q in load_bank().questions}
    resp = client.post("/psf/knowledge-check/", {"attempt": attempt, **{f"q_{i}": answers[i] for i in ids}})
    html = resp.content.decode()
    assert resp.status_code == 200 and "20 / 20" in html and "Passed" in html
    resp = client.post("/psf/knowledge-check/", {"attempt": attempt + "x"})
    assert resp.status_code == 400


def test_blank_submission_fails_with_explanations(client):
    attempt, _ = _attempt(client)
    html = client.post("/psf/knowledge-check/", {"attempt": attempt, "q_q1a": "99"}).content.decode()
    assert "0 / 20" in html and "Not answered" in html and "Not passed yet" in html
