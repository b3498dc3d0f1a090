"""Demo workflows: Acme AI has three (one deliberately missing controls), Globex has one."""

from __future__ import annotations

from accounts.models import Organisation, User

from .models import Workflow
from .services import workflow_from_template

DEMO = [
    ("acme-ai", "alice@acme.example", "rag-assistant", "Customer help-centre assistant"),
    ("acme-ai", "pat@acme.example", "support-agent-tools", "Refund support agent"),
    ("acme-ai", "pat@acme.example", "demo-unguarded-agent", "Prototype sales agent (unguarded)"),
    ("globex", "gus@globex.example", "document-extraction", "Invoice extraction"),
]


def seed(log: list[str]) -> None:
    for org_slug, email, template, name in DEMO:
        org = Organisation.objects.get(slug=org_slug)
        if Workflow.objects.filter(organisation=org, name=name).exists():
            continue
        workflow_from_template(
            organisation=org, author=User.objects.get(email=email), slug=template, name=name
        )
        log.append(f"workflow {name}")
    seed_analyses(log)


def seed_analyses(log: list[str]) -> None:
    """Every demo workflow has a stored analysis of its latest version."""
    from .analysis_service import analysis_for_version
    from .selectors import version_get

    for wf in Workflow.objects.filter(organisation__slug__in={d[0] for d in DEMO}, deleted_at__isnull=True):
        analysis_for_version(version=version_get(workflow=wf))
