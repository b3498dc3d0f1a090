"""Many assessments at once for queue performance tests and the benchmark (rows inserted
directly: this measures reading the queue, not the transitions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Organisation, User
from assessments.models import Assessment
from psf.selectors import rubric_version_current

STATUSES = [
    Assessment.SUBMITTED,
    Assessment.IN_REVIEW,
    Assessment.APPLIED,
    Assessment.CLARIFICATION,
    Assessment.SCOPING,
]


def make_queue(n: int, *, assessor: User | None = None, prefix: str = "bulk") -> list[Assessment]:
    rv = rubric_version_current()
    assert rv is not None
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(name=f"{prefix.title()} Org {i:03d}", slug=f"{prefix}-org-{i:03d}")
            for i in range(max(1, n // 10))
        ]
    )
    now = timezone.now()
    today = timezone.localdate()
    rows: list[Any] = []
    for i in range(n):
        status = STATUSES[i % len(STATUSES)]
        submitted = status in (Assessment.SUBMITTED, Assessment.IN_REVIEW, Assessment.CLARIFICATION)
        rows.append(
            Assessment(
                organisation=orgs[i % len(orgs)],
                rubric_version=rv,
                status=status,
                systems_description="x" * 400,
                size_tier="mid_market",
                expedited=i % 7 == 0,
                applied_at=now - timedelta(days=20),
                acknowledge_due=today + timedelta(days=(i % 9) - 4),
                assessor=assessor if i % 3 else None,
                submitted_at=now - timedelta(days=i % 10) if submitted else None,
                review_due=today + timedelta(days=(i % 11) - 5) if submitted else None,
                sla_paused_at=now if status == Assessment.CLARIFICATION else None,
                checklist=[
                    {"criterion": f"PSF-{d}.{c}", "evidence": ["workflow_map"], "note": ""}
                    for d in range(1, 9)
                    for c in range(1, 6)
                ],
            )
        )
    return Assessment.objects.bulk_create(rows)
