"""The demo seeder: TM-00142 active for Acme AI (issued 60 days ago), TM-00143 suspended with a
reinstatement waiting for a second assessor, TM-00144 revoked (asked by ada, approved by the lead
assessor lee), TM-00145 expired; a public history for each; idempotent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_demo_marks(client, personas):
    from trustmarks import demo
    from trustmarks.models import TrustMark

    log: list[str] = []
    demo.seed(log)
    marks = {m.mark_id: m for m in TrustMark.objects.select_related("organisation")}
    assert sorted(marks) == ["TM-00142", "TM-00143", "TM-00144", "TM-00145"]
    acme = marks["TM-00142"]
    assert acme.organisation == personas.acme and acme.issued == timezone.localdate() - timedelta(days=60)
    expected = {
        "TM-00142": ("Acme AI", "active"),
        "TM-00143": ("Initech", "suspended"),
        "TM-00144": ("Umbrella Health", "revoked"),
        "TM-00145": ("Hooli", "expired"),
    }
    for mark_id, (company, status) in expected.items():
        body = json.loads(client.get("/api/certify/trust-mark/verify", {"id": mark_id}).content)
        assert (body["company"], body["status"], body["valid"]) == (company, status, status == "active")
        assert marks[mark_id].status == status  # recorded, not only computed
    assert len(log) == 5 and "user lee@workflowos.example" in log

    from accounts.models import User
    from trustmarks.models import LifecycleRequest
    from trustmarks.selectors import trust_mark_public_history

    lee = User.objects.get(email="lee@workflowos.example")
    assert lee.is_assessor and lee.is_lead_assessor
    revoked = LifecycleRequest.objects.get(trust_mark=marks["TM-00144"])
    assert (revoked.state, revoked.requested_by.email, revoked.decided_by) == (
        "approved",
        "ada@workflowos.example",
        lee,
    )
    pending = LifecycleRequest.objects.get(trust_mark=marks["TM-00143"])
    assert pending.state == "pending" and pending.action == "reinstate"
    today = timezone.localdate()
    kinds = {
        m: [(e.kind, (today - e.day).days) for e in trust_mark_public_history(mark=marks[m])] for m in marks
    }
    assert kinds["TM-00142"] == [("issued", 60)]
    assert kinds["TM-00143"] == [("issued", 150), ("suspended", 12)]
    assert kinds["TM-00144"] == [("issued", 200), ("revoked", 30)]
    assert [k for k, _ in kinds["TM-00145"]] == ["issued", "expired"] and kinds["TM-00145"][1][1] == 34

    demo.seed(log)
    assert TrustMark.objects.count() == 4 and len(log) == 5
    assert LifecycleRequest.objects.count() == 2
