"""Fixtures of the simulation tests: journals in a temporary folder, eager Celery for unit tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _journal_dir(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def eager(settings: Any) -> None:
    """Unit tests only: the task runs in the calling process when it is queued."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def workflow(personas: Any) -> Any:
    from tests.studio.helpers import make_workflow

    return make_workflow(personas.acme, personas.pat, "Support bot")


@pytest.fixture
def guarded_workflow(personas: Any) -> Any:
    """A realistic workflow with controls (the RAG assistant template)."""
    from studio.services import workflow_from_template

    return workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Help-centre assistant"
    )
