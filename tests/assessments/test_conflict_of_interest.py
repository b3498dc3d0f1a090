"""An assessor who belongs to the assessed organisation can never claim, be assigned, score or
decide it: refused by the service, and not offered by the pages."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from assessments import services
from lib.errors import DomainError
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def insider(personas, django_user_model):
    """A platform assessor who is also a practitioner of Acme AI."""
    user = django_user_model.objects.create_user(
        "ivy@workflowos.example", "pw-123456789", name="Ivy Insider", is_assessor=True
    )
    Membership.objects.create(user=user, organisation=personas.acme, role=Membership.PRACTITIONER)
    return user


def test_insider_cannot_accept(personas, insider):
    a = h.applied(personas)
    with pytest.raises(DomainError, match="Conflict of interest") as exc:
        services.assessment_accept(assessment=a, actor=insider)
    assert exc.value.status == 403


def test_insider_cannot_claim_be_assigned_score_or_decide(personas, insider):
    p = personas
    a = h.submitted(p)
    with pytest.raises(DomainError, match="Conflict of interest"):
        services.assessment_claim(assessment=a, actor=insider)
    with pytest.raises(DomainError, match="Conflict of interest"):
        services.assessment_assign(assessment=a, actor=p.root, assessor=insider)
    services.assessment_claim(assessment=a, actor=p.ada)
    # Even if the row were changed behind the services' back, the insider still cannot act.
    type(a).objects.filter(pk=a.pk).update(assessor=insider)
    a.refresh_from_db()
    with pytest.raises(DomainError, match="Conflict of interest"):
        h.score_all(a, insider)
    with pytest.raises(DomainError, match="Conflict of interest"):
        services.assessment_decide(assessment=a, actor=insider, outcome="pass")
    with pytest.raises(DomainError, match="Conflict of interest"):
        services.assessment_clarification_request(assessment=a, actor=insider, questions="?")


def test_queue_hides_actions_and_review_page_refuses(personas, insider, client_for):
    a = h.submitted(personas)
    c = client_for(insider)
    page = c.get("/review/?status=open").content.decode()
    assert a.reference in page and "Your organisation" in page
    assert f'action="/review/{a.pk}/claim/"' not in page
    resp = c.get(f"/review/{a.pk}/")
    assert resp.status_code == 403 and "Conflict of interest" in resp.content.decode()
    assert c.post(f"/review/{a.pk}/claim/").status_code == 403
    # and the platform admin's assign form does not offer the insider
    admin_page = client_for(personas.root).get(f"/review/{a.pk}/").content.decode()
    assert "ivy@workflowos.example" not in admin_page and "Ivy Insider" not in admin_page
    assert "Ada Assessor" in admin_page
