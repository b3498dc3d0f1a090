from __future__ import annotations

import pytest

from assessments import services
from assessments.models import Submission
from lib.canonical import content_hash
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db


def test_submit_freezes_an_immutable_snapshot(personas, client_for):
    p = personas
    a = h.in_review(p)
    sub = Submission.objects.get(assessment=a, number=1)
    frozen = sub.snapshot
    assert sub.snapshot_hash == content_hash(frozen)
    assert frozen["rubric"]["key"] == "PSF v1.1" and len(frozen["criteria"]) == 40
    evidence = frozen["criteria"]["PSF-5.3"]["evidence"]
    assert evidence[0]["title"] == "Incident runbook" and len(evidence[0]["sha256"]) == 64
    assert frozen["criteria"]["PSF-4.1"]["evidence"][0]["url"] == "https://grafana.example/d/ai"
    assert (
        frozen["scope"][0]["name"] == "Help-centre assistant"
        and frozen["scope"][0]["version"]["content_hash"]
    )

    # The organisation changes its working set during a clarification: the first snapshot stays.
    clar = services.assessment_clarification_request(assessment=a, actor=p.ada, questions="More on PSF-5.3?")
    item = a.evidence.get(criterion="PSF-5.3")
    services.evidence_remove(item=item, actor=p.pat)
    services.evidence_add(
        assessment=a, actor=p.pat, criterion="PSF-5.3", kind="link", url="https://wiki.example/runbook-v2"
    )
    sub.refresh_from_db()
    assert sub.snapshot == frozen and sub.snapshot_hash == content_hash(frozen)

    # The review page shows the frozen snapshot, not the live working set.
    page = client_for(p.ada).get(f"/review/{a.pk}/").content.decode()
    assert "Incident runbook</a>" in page and 'href="https://wiki.example/runbook-v2"' not in page

    services.clarification_answer(clarification=clar, actor=p.pat, answer="Replaced by the v2 runbook.")
    second = services.assessment_submit(assessment=a, actor=p.alice)
    assert [e["url"] for e in second.snapshot["criteria"]["PSF-5.3"]["evidence"]] == [
        "https://wiki.example/runbook-v2"
    ]
    page = client_for(p.ada).get(f"/review/{a.pk}/").content.decode()
    assert 'href="https://wiki.example/runbook-v2"' in page
    # the old submission page still shows what was first submitted, and the removed file still downloads
    old = client_for(p.ada).get(f"/assessments/{a.pk}/submissions/1/").content.decode()
    assert "Incident runbook" in old
    assert client_for(p.ada).get(f"/assessments/{a.pk}/evidence/{item.pk}/download/").status_code == 200


def test_snapshot_records_the_analysis_of_each_scope_workflow(personas):
    from assessments.evidence_kinds import analysis_service

    a = h.submitted(personas)
    row = a.submissions.get().snapshot["scope"][0]
    if analysis_service() is None:
        assert row["analysis"] is None
    else:
        assert row["analysis"]["rules_version"] and "PSF-1.1" in row["analysis"]["criteria"]
