"""Credential tests sign with their own key ring, under a fixed issuer, with an empty cache."""

from __future__ import annotations

import pytest

from tests.trustmarks.helpers import ISSUER


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from trustmarks import verify_cache

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.PUBLIC_URL = ISSUER
    settings.ISSUER_NAME = "PAI Certification (test)"
    settings.REDIS_URL = ""
    cache.clear()
    verify_cache.reset()
    yield
    cache.clear()
    verify_cache.reset()


def pass_attempt(user, *, holder_name="Pat Practitioner", listed=True, wrong=0):  # type: ignore[no-untyped-def]
    """Start an attempt as ``user``, answer correctly (``wrong`` of them incorrectly) and submit."""
    from credentials.bank import load_bank
    from credentials.services import attempt_answer, attempt_start, attempt_submit

    bank = load_bank()
    attempt = attempt_start(user=user)
    answers = {}
    for i, aq in enumerate(attempt.questions.all()):
        correct = bank.question(aq.question_id).answer
        original = correct if i >= wrong else (correct + 1) % 4
        answers[str(aq.position)] = aq.option_tokens[aq.option_order.index(original)]
    attempt_answer(attempt=attempt, user=user, answers=answers)
    return attempt_submit(attempt=attempt, user=user, holder_name=holder_name, listed=listed)
