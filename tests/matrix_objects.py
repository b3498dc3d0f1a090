"""Acme AI objects the access matrix refers to. Later features add theirs here."""

from __future__ import annotations

from typing import Any


def build_acme_objects(personas: Any) -> dict[str, Any]:
    from tests.studio.helpers import make_workflow

    wf = make_workflow(personas.acme, personas.pat, "Matrix workflow")
    return {"wf": wf.pk}
