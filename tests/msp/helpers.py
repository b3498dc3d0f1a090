"""Data for the launch-pack tests, built with the real services."""

from __future__ import annotations

from typing import Any

HOSTILE = '<script>alert("x")</script> & Co'


def unguarded_doc(name: str, *, label: str = "Autopilot", vendor: str = "openai") -> dict[str, Any]:
    """An external, personal-data workflow with a model and no controls: many findings open."""
    return {
        "format": "workflowos.workflow/v1",
        "name": name,
        "description": "Answers customers with no controls at all.",
        "facts": {"personal_data": True, "stakes": "high", "audience": "external", "regulated": False},
        "nodes": [
            {
                "id": "in",
                "type": "user_input",
                "label": "Customer chat",
                "config": {"data_categories": ["personal"]},
            },
            {
                "id": "llm",
                "type": "llm_call",
                "label": label,
                "config": {
                    "vendor": vendor,
                    "model": "gpt-4o",
                    "autonomy_level": "L3",
                    "data_categories": ["personal", "financial"],
                },
            },
            {"id": "out", "type": "response", "label": "Reply"},
        ],
        "edges": [{"id": "e1", "from": "in", "to": "llm"}, {"id": "e2", "from": "llm", "to": "out"}],
    }


def make_workflow(org: Any, user: Any, document: dict[str, Any]) -> Any:
    from studio.format import parse_document
    from studio.services import workflow_create

    return workflow_create(organisation=org, author=user, document=parse_document(document))


def from_template(org: Any, user: Any, slug: str, name: str) -> Any:
    from studio.services import workflow_from_template

    return workflow_from_template(organisation=org, author=user, slug=slug, name=name)


def head(wf: Any) -> Any:
    from studio.selectors import version_get

    return version_get(workflow=wf)


def analysis_of(wf: Any) -> dict[str, Any]:
    from studio.analysis_service import analysis_for_version

    return analysis_for_version(version=head(wf)).result  # type: ignore[no-any-return]


def advisory_firm(mia: Any, name: str = "Northwind Advisory") -> Any:
    """An MSP organisation that mia runs (admin): her firm, the launch packs' author."""
    from accounts.models import Membership, Organisation

    org = Organisation.objects.create(name=name, slug="northwind-advisory")
    Membership.objects.create(user=mia, organisation=org, role=Membership.ADMIN)
    return org
