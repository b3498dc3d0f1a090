"""Many inventory rows fast (bench/pai8.py and the query-count tests): bulk-created systems,
every tenth linked to one of a few workflows so the prefetch is exercised."""

from __future__ import annotations

from typing import Any

STATUSES = ["idea", "pilot", "production", "retired"]
TIERS = ["low", "medium", "high", "critical"]
CLASSES = ["minimal", "limited", "high_risk", "minimal"]


def make_inventory(org: Any, user: Any, n: int, *, start: int = 0, workflows: int = 3) -> None:
    from governance.models import AISystem
    from tests.studio.helpers import make_workflow

    flows = [make_workflow(org, user, f"Bulk flow {start}-{i}") for i in range(workflows)]
    rows = [
        AISystem(
            organisation=org,
            name=f"System {i:05d} {'bot' if i % 3 == 0 else 'scorer'}",
            purpose=f"Answers customer questions, number {i}.",
            business_owner="Head of Support",
            technical_owner="Platform team",
            status=STATUSES[i % 4],
            risk_tier=TIERS[(i // 4) % 4],
            eu_risk_class=CLASSES[i % 4],
            annex_iii_area="employment" if CLASSES[i % 4] == "high_risk" else "",
            vendors=["OpenAI", "Anthropic"][: 1 + i % 2],
            models_used=["gpt-4o"],
            data_categories=["personal"],
            created_by=user,
        )
        for i in range(start, start + n)
    ]
    AISystem.objects.bulk_create(rows, batch_size=500)
    Through = AISystem.workflows.through
    linked = AISystem.objects.filter(organisation=org, name__in=[r.name for r in rows[::10]])
    Through.objects.bulk_create(
        [Through(aisystem_id=s.pk, workflow_id=flows[k % len(flows)].pk) for k, s in enumerate(linked)]
    )
