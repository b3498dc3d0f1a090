from __future__ import annotations

from typing import Any


def small_doc(name: str = "Support bot", **facts: Any) -> dict[str, Any]:
    return {
        "format": "workflowos.workflow/v1",
        "name": name,
        "facts": {
            "personal_data": True,
            "stakes": "low",
            "audience": "external",
            "regulated": False,
            **facts,
        },
        "nodes": [
            {"id": "in", "type": "user_input", "label": "Customer message", "position": {"x": 0, "y": 0}},
            {
                "id": "llm",
                "type": "llm_call",
                "label": "Answer",
                "config": {"vendor": "openai", "model": "gpt-4o", "model_version": "2024-08-06"},
                "position": {"x": 200, "y": 0},
            },
            {"id": "out", "type": "response", "label": "Reply", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "from": "in", "to": "llm", "kind": "data"},
            {"id": "e2", "from": "llm", "to": "out", "kind": "data"},
        ],
    }


def make_workflow(org: Any, user: Any, name: str = "Support bot") -> Any:
    from studio.format import parse_document
    from studio.services import workflow_create

    return workflow_create(organisation=org, author=user, document=parse_document(small_doc(name)))
