"""The demo seeder: TM-00142 active for Acme AI (issued 60 days ago), TM-00143 suspended,
TM-00144 revoked, TM-00145 expired; idempotent."""

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
    assert len(log) == 4

    demo.seed(log)
    assert TrustMark.objects.count() == 4 and len(log) == 4
