"""The whole demo (what `make run` loads), end to end and idempotent."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_story_once(rubric_version, client):
    from assessments.models import Assessment
    from simulations.models import SimulationRun
    from studio.models import Analysis, Workflow
    from trustmarks.models import TrustMark

    call_command("seed_demo", stdout=StringIO())
    counts = (
        Workflow.objects.count(),
        Analysis.objects.count(),
        SimulationRun.objects.count(),
        Assessment.objects.count(),
        TrustMark.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert (
        Workflow.objects.count(),
        Analysis.objects.count(),
        SimulationRun.objects.count(),
        Assessment.objects.count(),
        TrustMark.objects.count(),
    ) == counts

    assert Workflow.objects.filter(organisation__slug="acme-ai").count() == 3
    assert Workflow.objects.filter(organisation__slug="globex").count() >= 1
    assert SimulationRun.objects.filter(organisation__slug="acme-ai", status="done").count() == 3
    assert Assessment.objects.filter(organisation__slug="acme-ai", status="passed").exists()
    assert Assessment.objects.filter(
        organisation__slug="globex", status="failed", gap_report__isnull=False
    ).exists()

    acme = TrustMark.objects.get(number=142)
    assert acme.organisation.slug == "acme-ai"
    assert acme.issued == timezone.localdate() - timedelta(days=60)
    body = client.get("/api/certify/trust-mark/verify", {"id": "TM-00142"}).json()
    assert (
        body["valid"] is True and body["company"] == "Acme AI" and body["expires"] == acme.expires.isoformat()
    )
    statuses = {m.mark_id: m.status for m in TrustMark.objects.all()}
    assert statuses == {
        "TM-00142": "active",
        "TM-00143": "suspended",
        "TM-00144": "revoked",
        "TM-00145": "expired",
    }

    from trustmarks.credentials import verify_credential_jwt

    jwks = client.get("/.well-known/jwks.json").json()
    result = verify_credential_jwt(acme.credential_jwt, jwks)
    assert result.ok, result.reason
