"""Trust-mark test set-up: each test signs with its own key ring and starts with an empty cache."""

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


@pytest.fixture
def make_mark(personas, rubric_version):  # type: ignore[no-untyped-def]
    """Issue a mark to a (new) organisation through the real service; returns the TrustMark."""
    from tests.trustmarks.helpers import issue_mark

    def make(**kwargs):  # type: ignore[no-untyped-def]
        return issue_mark(personas, rubric_version, **kwargs)

    return make
