"""The official schemas and sample files in ``../shared/standards/`` (see its README.md).

They live beside the repository, not in it: ``Path(repo) / ".." / "shared" / "standards"``
(``WORKFLOWOS_STANDARDS_DIR`` overrides it, e.g. for a worktree elsewhere). Tests that need them
skip, saying so, when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def standards_dir() -> Path:
    override = os.environ.get("WORKFLOWOS_STANDARDS_DIR", "").strip()
    return Path(override) if override else REPO / ".." / "shared" / "standards"


def standards_file(*parts: str) -> Path:
    """A file under the standards folder, or skip the test when the folder is absent."""
    path = standards_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(
            f"official standards file {path} is absent: clone the shared standards beside the "
            "repository (../shared/standards) or set WORKFLOWOS_STANDARDS_DIR"
        )
    return path
