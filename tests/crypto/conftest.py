from __future__ import annotations

from pathlib import Path

import pytest

from lib.keys import KeyRing


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing(tmp_path / "keys")
