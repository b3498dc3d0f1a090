"""Build assessments in a given state by calling the real services (as the personas would)."""

from __future__ import annotations

import io
from typing import Any

from assessments import services
from assessments.models import Assessment
from tests.assessments.files import PDF
from tests.studio.helpers import make_workflow


def applied(p: Any, *, org: Any = None, admin: Any = None, expedited: bool = False) -> Assessment:
    return services.assessment_apply(
        organisation=org or p.acme,
        actor=admin or p.alice,
        systems_description="Customer help-centre assistant (RAG over our articles, GPT-4o) and a refund agent.",
        size_tier="mid_market",
        expedited=expedited,
    )


def preparing(p: Any, **kw: Any) -> Assessment:
    a = applied(p, **kw)
    services.assessment_accept(assessment=a, actor=p.ada)
    wf = make_workflow(a.organisation, p.pat if a.organisation == p.acme else p.gus, "Help-centre assistant")
    return services.assessment_scope(
        assessment=a,
        actor=p.ada,
        workflows=[wf],
        scope_summary="The help-centre assistant.",
        timeline="Scoping call done; evidence within two weeks.",
        target_date=None,
        checklist=services.checklist_default(services.rubric_for(a)),
    )


def with_evidence(p: Any, a: Assessment, *, member: Any = None) -> Assessment:
    who = member or (p.pat if a.organisation == p.acme else p.gus)
    services.evidence_add(
        assessment=a, actor=who, criterion="PSF-4.1", kind="link", url="https://grafana.example/d/ai"
    )
    services.evidence_add(
        assessment=a,
        actor=who,
        criterion="PSF-5.3",
        kind="file",
        title="Incident runbook",
        upload=services.Upload("runbook.pdf", io.BytesIO(PDF)),
    )
    return a


def submitted(p: Any, **kw: Any) -> Assessment:
    a = with_evidence(p, preparing(p, **kw))
    admin = kw.get("admin") or p.alice
    services.assessment_submit(assessment=a, actor=admin)
    a.refresh_from_db()
    return a


def in_review(p: Any, **kw: Any) -> Assessment:
    a = submitted(p, **kw)
    services.assessment_claim(assessment=a, actor=p.ada)
    a.refresh_from_db()
    return a


def score_all(
    a: Assessment, assessor: Any, score: int | dict[str, int] = 4, comment: str = "Seen in the evidence."
) -> None:
    rubric = services.rubric_for(a)
    values = {
        c.code: (score if isinstance(score, int) else score.get(c.code, 4), comment)
        for c in rubric.all_criteria()
    }
    services.criterion_scores_save(assessment=a, actor=assessor, scores=values)


def failing_scores() -> dict[str, int]:
    # PSF-4 (observability) and PSF-7 (security) fall short.
    return {
        "PSF-4.1": 1,
        "PSF-4.2": 2,
        "PSF-4.3": 1,
        "PSF-4.4": 2,
        "PSF-4.5": 2,
        "PSF-7.2": 0,
        "PSF-7.3": 1,
        "PSF-7.1": 1,
        "PSF-7.4": 2,
        "PSF-7.5": 2,
    }


def globex_member(p: Any) -> Any:
    return p.gus
