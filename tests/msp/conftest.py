from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_files(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Rendered PDFs of each test live in its own temporary folder."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
