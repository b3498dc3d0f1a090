"""Fixtures of the fault tests: a work folder for the processes they start, and the instance's
data (personas, a workflow, an API token) in the pytest database for tests that share it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "media").mkdir()
    (tmp_path / "var").mkdir()
    yield tmp_path


@dataclass
class Instance:
    token: str
    workflow: Any
    personas: Any


@pytest.fixture
def instance(personas: Any) -> Instance:
    from accounts.services import api_token_issue
    from studio.services import workflow_from_template

    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Help-centre assistant"
    )
    return Instance(token=api_token_issue(user=personas.pat), workflow=wf, personas=personas)
