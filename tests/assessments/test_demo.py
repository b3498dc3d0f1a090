from __future__ import annotations

import pytest

from assessments.models import Assessment
from assessments.selectors import QueueFilters, review_queue, sla_due_of
from core.audit import audit_log_verify

pytestmark = pytest.mark.django_db


def seed_all() -> None:
    from accounts import demo as accounts_demo
    from assessments import demo
    from studio import demo as studio_demo

    for module in (accounts_demo, studio_demo, demo):  # the order of seed_demo, without the slow simulations
        module.seed([])


def test_seed_demo_tells_the_story_and_is_idempotent(rubric_version):
    seed_all()
    first = set(Assessment.objects.values_list("pk", "status"))
    seed_all()
    assert set(Assessment.objects.values_list("pk", "status")) == first

    acme_passed = Assessment.objects.get(
        organisation__slug="acme-ai", status=Assessment.PASSED, decided_by__isnull=False
    )
    assert acme_passed.domain_scores["PSF-8"] >= 2.0
    try:
        from trustmarks.models import TrustMark
    except ImportError:
        pass
    else:
        assert TrustMark.objects.filter(assessment=acme_passed).exists()

    failed = Assessment.objects.get(organisation__slug="globex", status=Assessment.FAILED)
    assert failed.gap_report.content and failed.reassessment_deadline > failed.decided_at.date()
    from assessments import sla

    assert failed.reassessment_deadline >= sla.today()  # the window is open

    from accounts.models import User

    ada = User.objects.get(email="ada@workflowos.example")
    rows = review_queue(user=ada, filters=QueueFilters(group="open", assignee="me"))
    waiting = [r for r in rows if r.assessment.organisation.slug == "acme-ai"]
    assert (
        len(waiting) == 1
        and waiting[0].assessment.status == Assessment.SUBMITTED
        and not waiting[0].due.overdue
    )
    overdue = [r for r in rows if r.due.overdue]
    assert (
        len(overdue) == 1
        and overdue[0].assessment.organisation.slug == "initech"
        and overdue[0].assessment.expedited
    )
    assert sla_due_of(overdue[0].assessment).days_left < 0
    assert audit_log_verify(chain="audit").ok
