from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_media(request, tmp_path):
    """Evidence files of each test go to a fresh folder (never the developer's var/)."""
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
