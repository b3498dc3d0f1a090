"""Many client organisations for one adviser, for the Clients overview's query-count test and its
benchmark. Rows are inserted directly (this measures reading the overview, not the services that
normally write them); each organisation gets workflows with versions and stored analyses, one
trust mark (of varying state) and a few open assessments."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Membership, Organisation, User
from assessments.models import Assessment
from psf.selectors import rubric_version_current
from studio.models import Analysis, Workflow, WorkflowVersion
from trustmarks.models import TrustMark


def _hash(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def make_clients(
    adviser: User, *, orgs: int, workflows: int = 20, prefix: str = "client", start_number: int = 50000
) -> list[Organisation]:
    """``orgs`` organisations, each with ``workflows`` workflows, where ``adviser`` is a member."""
    rv = rubric_version_current()
    assert rv is not None
    now = timezone.now()
    today = timezone.localdate()
    made = Organisation.objects.bulk_create(
        [Organisation(name=f"{prefix.title()} {i:03d}", slug=f"{prefix}-{i:03d}") for i in range(orgs)]
    )
    made = list(Organisation.objects.filter(slug__in=[o.slug for o in made]).order_by("slug"))
    Membership.objects.bulk_create(
        [
            Membership(
                user=adviser, organisation=o, role=Membership.ADMIN if i % 4 == 0 else Membership.PRACTITIONER
            )
            for i, o in enumerate(made)
        ]
    )
    wfs = Workflow.objects.bulk_create(
        [
            Workflow(organisation=o, name=f"Workflow {j:02d}", head_number=2, created_by=adviser)
            for o in made
            for j in range(workflows)
        ]
    )
    wfs = list(Workflow.objects.filter(organisation__in=made).order_by("pk"))
    versions: list[Any] = []
    analyses: list[Any] = []
    for k, w in enumerate(wfs):
        for n in (1, 2):
            h = _hash(prefix, w.pk, n)
            versions.append(
                WorkflowVersion(
                    workflow=w, number=n, document={"name": w.name}, content_hash=h, author=adviser
                )
            )
            if k % 5 != 4 or n == 1:  # every fifth workflow's head is not analysed yet
                score = 1.5 + ((k * 7 + n) % 25) / 10
                analyses.append(
                    Analysis(
                        organisation_id=w.organisation_id,
                        content_hash=h,
                        rubric_version=rv,
                        rules_version="bench",
                        result={},
                        overall_score=score,
                        passed=score >= 3.0,
                        created=now - timedelta(days=10 - n),
                    )
                )
    WorkflowVersion.objects.bulk_create(versions)
    Analysis.objects.bulk_create(analyses)

    assessments: list[Any] = []
    passed: list[Any] = []
    for i, o in enumerate(made):
        passed.append(
            Assessment(
                organisation=o,
                rubric_version=rv,
                status=Assessment.PASSED,
                systems_description="x",
                size_tier="mid_market",
                acknowledge_due=today - timedelta(days=400),
                decided_at=now - timedelta(days=300),
            )
        )
        for status in (Assessment.APPLIED, Assessment.SUBMITTED, Assessment.PREPARING)[: 1 + i % 3]:
            assessments.append(
                Assessment(
                    organisation=o,
                    rubric_version=rv,
                    status=status,
                    systems_description="x",
                    size_tier="mid_market",
                    acknowledge_due=today + timedelta(days=(i % 7) - 3),
                    submitted_at=now if status == Assessment.SUBMITTED else None,
                    review_due=today + timedelta(days=(i % 9) - 4)
                    if status == Assessment.SUBMITTED
                    else None,
                    target_date=today - timedelta(days=3)
                    if status == Assessment.PREPARING and i % 2
                    else None,
                )
            )
    Assessment.objects.bulk_create(assessments)
    passed = Assessment.objects.bulk_create(passed)
    marks = []
    for i, (o, a) in enumerate(zip(made, passed, strict=True)):
        issued = today - timedelta(days=[30, 320, 380, 100][i % 4])
        marks.append(
            TrustMark(
                number=start_number + i,
                organisation=o,
                assessment=a,
                rubric_version=rv,
                company_name=o.name,
                domains="PSF-1..8",
                scores={},
                issued=issued,
                expires=issued + timedelta(days=365),
                status=TrustMark.SUSPENDED if i % 4 == 3 else TrustMark.ACTIVE,
                revocation_index=start_number + i,
                suspension_index=start_number + i,
                credential_jwt="x",
                credential_kid="bench",
                last_review=issued,
                next_review=issued + timedelta(days=305),
            )
        )
    TrustMark.objects.bulk_create(marks)
    return made
