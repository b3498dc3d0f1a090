"""The lifecycle rules (issue 14 item 1): one conflict-of-interest rule shared with reviews (a
member now or in the last two years), the assignment rule (the mark's assessor or a lead
assessor), four eyes for revoke and reinstate, a surveillance review before renewal; every refusal a
403 naming the reason, every action and refused attempt in the audit log.

Personas: ada decided the marks' assessments (she is "the mark's assessor"); lee is a lead assessor;
bea is an assessor who never worked on these marks; ivy is a lead assessor who is (or was) a member
of Acme AI.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lib.errors import DomainError
from tests.trustmarks.helpers import lead_assessor

pytestmark = pytest.mark.django_db

REVIEW_FORM = {"evidence_valid": "yes", "notes": "Controls still in place."}


@pytest.fixture
def lee(personas):  # type: ignore[no-untyped-def]
    return lead_assessor()


@pytest.fixture
def bea(personas, django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user(
        "bea@workflowos.example", "pw-123456789", name="Bea Assessor", is_assessor=True
    )


@pytest.fixture
def ivy(personas, django_user_model):  # type: ignore[no-untyped-def]
    """A lead assessor who is a practitioner of Acme AI (the conflicted insider)."""
    from accounts.models import Membership

    user = django_user_model.objects.create_user(
        "ivy@workflowos.example", "pw-123456789", name="Ivy Insider", is_assessor=True, is_lead_assessor=True
    )
    Membership.objects.create(user=user, organisation=personas.acme, role=Membership.PRACTITIONER)
    return user


def refused(call, *, match: str, code: str | None = None) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == 403, exc.value.message
    assert match in exc.value.message, exc.value.message
    if code:
        assert exc.value.code == code
    return exc.value


def review(mark, actor, *, evidence_valid: bool = True, **changes):  # type: ignore[no-untyped-def]
    from trustmarks.services import trust_mark_review

    return trust_mark_review(
        mark=mark,
        actor=actor,
        evidence_valid=evidence_valid,
        scores={**mark.scores, **changes},
        notes="CONFIDENTIAL-NOTES: monitoring screenshots checked.",
    )


def audit_actions(mark) -> list[str]:  # type: ignore[no-untyped-def]
    from core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(chain="audit", object_id=mark.mark_id)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


# --- conflict of interest -------------------------------------------------------------------------


def test_a_current_member_cannot_act_even_as_a_lead(make_mark, personas, ivy):
    from trustmarks.services import (
        trust_mark_renew,
        trust_mark_request_revoke,
        trust_mark_suspend,
    )

    mark = make_mark()
    for service in (trust_mark_suspend, trust_mark_request_revoke, trust_mark_renew):
        refused(
            lambda s=service: s(mark=mark, actor=ivy, reason="Insider"),
            match="Conflict of interest: you are a member of Acme AI",
        )
    refused(lambda: review(mark, ivy), match="Conflict of interest")
    mark.refresh_from_db()
    assert mark.status == "active" and mark.events.count() == 1


def test_a_former_member_within_two_years_cannot_act(make_mark, personas, ivy):
    from accounts.models import Membership, PastMembership
    from accounts.services.members import membership_remove
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    membership_remove(membership=Membership.objects.get(user=ivy), actor=personas.alice)
    past = PastMembership.objects.get(user=ivy)
    assert past.organisation == personas.acme and past.role == "practitioner" and past.joined is not None
    # 23 months ago is still within the window.
    PastMembership.objects.filter(pk=past.pk).update(ended=timezone.now() - timedelta(days=700))
    refused(
        lambda: trust_mark_suspend(mark=mark, actor=ivy, reason="I left long ago"),
        match="Conflict of interest: you were a member of Acme AI until",
    )


def test_a_former_member_over_two_years_ago_may_act(make_mark, personas, ivy):
    from accounts.models import Membership, PastMembership
    from accounts.services.members import membership_remove
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    membership_remove(membership=Membership.objects.get(user=ivy), actor=personas.alice)
    PastMembership.objects.filter(user=ivy).update(ended=timezone.now() - timedelta(days=2 * 366))
    mark = trust_mark_suspend(mark=mark, actor=ivy, reason="PSF-6 queue switched off")
    assert mark.status == "suspended"


def test_reviews_use_the_same_rule(personas, ivy):
    """The assessments' conflict-of-interest guard is the shared predicate: a former member
    within two years cannot take on a review either."""
    from accounts.models import Membership, PastMembership
    from accounts.services.members import membership_remove
    from assessments import services as assessment_services
    from tests.assessments import helpers as h

    membership_remove(membership=Membership.objects.get(user=ivy), actor=personas.alice)
    a = h.applied(personas)
    refused(
        lambda: assessment_services.assessment_accept(assessment=a, actor=ivy),
        match="Conflict of interest: you were a member of Acme AI",
    )
    PastMembership.objects.filter(user=ivy).update(ended=timezone.now() - timedelta(days=800))
    assessment_services.assessment_accept(assessment=a, actor=ivy)


def test_the_window_is_two_calendar_years():
    from datetime import UTC, datetime

    from accounts.access import conflict_cutoff

    assert conflict_cutoff(datetime(2026, 12, 3, 12, tzinfo=UTC)) == datetime(2024, 12, 3, 12, tzinfo=UTC)
    assert conflict_cutoff(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)


def test_the_review_queue_and_assign_form_treat_a_former_member_as_conflicted(personas, ivy, client_for):
    from accounts.models import Membership
    from accounts.services.members import membership_remove
    from assessments.notifications import recipients
    from assessments.selectors import assessors
    from tests.assessments import helpers as h

    membership_remove(membership=Membership.objects.get(user=ivy), actor=personas.alice)
    a = h.applied(personas)
    assert ivy not in assessors(exclude_organisation_id=personas.acme.pk)
    assert ivy not in recipients(a, "assessors") and personas.ada in recipients(a, "assessors")
    page = client_for(ivy).get("/review/?status=open").content.decode()
    assert a.reference in page and "Your organisation" in page
    assert f'action="/review/{a.pk}/accept/"' not in page


def test_removal_in_the_django_admin_is_remembered_too(personas, ivy, client_for):
    from accounts.models import Membership, PastMembership

    m = Membership.objects.get(user=ivy)
    c = client_for(personas.root)
    page = c.get(f"/admin/accounts/user/{ivy.pk}/change/")
    assert page.status_code == 200
    form = {
        "email": ivy.email,
        "name": ivy.name,
        "is_active": "on",
        "is_assessor": "on",
        "is_lead_assessor": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": timezone.now().strftime("%Y-%m-%d"),
        "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(m.pk),
        "memberships-0-user": str(ivy.pk),
        "memberships-0-organisation": str(personas.acme.pk),
        "memberships-0-role": "practitioner",
        "memberships-0-created_0": timezone.now().strftime("%Y-%m-%d"),
        "memberships-0-created_1": "10:00:00",
        "memberships-0-DELETE": "on",
    }
    resp = c.post(f"/admin/accounts/user/{ivy.pk}/change/", form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert not Membership.objects.filter(user=ivy).exists()
    assert PastMembership.objects.filter(user=ivy, organisation=personas.acme).exists()


def test_removals_before_the_migration_are_backfilled_from_the_audit_log(personas, ivy):
    import importlib

    from django.apps import apps

    from accounts.models import PastMembership
    from core.audit import audit_event_append

    audit_event_append(
        action="member.removed",
        object_type="membership",
        object_id=99,
        actor_email="alice@acme.example",
        organisation_id=personas.globex.pk,
        data={"email": "IVY@workflowos.example", "role": "admin"},
    )
    migration = importlib.import_module("accounts.migrations.0006_lead_assessor_past_membership")
    migration.backfill_from_audit_log(apps, None)
    migration.backfill_from_audit_log(apps, None)  # idempotent
    past = PastMembership.objects.get(user=ivy)
    assert past.organisation == personas.globex and past.role == "admin"


# --- assignment -----------------------------------------------------------------------------------


def test_an_unassigned_assessor_cannot_act(make_mark, personas, bea):
    from trustmarks.services import (
        trust_mark_renew,
        trust_mark_request_reinstate,
        trust_mark_request_revoke,
        trust_mark_suspend,
    )

    mark = make_mark()
    expected = "assessed by Ada Assessor; only its assessor or a lead assessor"
    for service in (trust_mark_suspend, trust_mark_request_revoke, trust_mark_renew):
        refused(lambda s=service: s(mark=mark, actor=bea, reason="Not mine"), match=expected)
    refused(lambda: review(mark, bea), match=expected)
    suspended = make_mark(company="Initech", status="suspended")
    refused(
        lambda: trust_mark_request_reinstate(mark=suspended, actor=bea, reason="Not mine"),
        match="assessed by Ada Assessor",
    )


def test_the_marks_assessor_and_a_lead_may_act(make_mark, personas, lee):
    from trustmarks.services import trust_mark_suspend

    assert trust_mark_suspend(mark=make_mark(), actor=personas.ada, reason="Finding").status == "suspended"
    other = make_mark(company="Other")
    assert trust_mark_suspend(mark=other, actor=lee, reason="Finding").status == "suspended"


# --- four eyes ------------------------------------------------------------------------------------


def test_revocation_waits_for_a_second_assessor(client, make_mark, personas, lee):
    from trustmarks.models import LifecycleRequest
    from trustmarks.services import trust_mark_request_approve, trust_mark_request_revoke

    mark = make_mark()
    request = trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="SECRET-FRAUD finding")
    assert request.state == "pending"
    # Nothing public changed: the verify API, the record, the status list, the public history.
    body = json.loads(client.get("/api/certify/trust-mark/verify", {"id": mark.mark_id}).content)
    assert body["valid"] is True and body["status"] == "active"
    page = client.get(f"/verify/{mark.mark_id}").content.decode()
    assert "Revoked" not in page and "SECRET-FRAUD" not in page and "pending" not in page.lower()
    mark.refresh_from_db()
    assert mark.status == "active" and [e.action for e in mark.events.all()] == ["issued"]

    # The same person cannot approve their own request.
    refused(
        lambda: trust_mark_request_approve(request=request, actor=personas.ada),
        match="You asked for this change: a second assessor must approve it",
        code="four_eyes",
    )
    mark.refresh_from_db()
    assert mark.status == "active"

    mark = trust_mark_request_approve(request=request, actor=lee, note="Agreed")
    assert mark.status == "revoked" and mark.status_changed_by == lee
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.decision_note) == ("approved", lee, "Agreed")
    assert request.event is not None and request.event.action == "revoked" and request.event.actor == lee
    assert (
        json.loads(client.get("/api/certify/trust-mark/verify", {"id": mark.mark_id}).content)["valid"]
        is False
    )

    # Approving twice: the request is decided.
    with pytest.raises(DomainError) as exc:
        trust_mark_request_approve(request=LifecycleRequest.objects.get(pk=request.pk), actor=lee)
    assert exc.value.status == 409 and exc.value.code == "request_decided"
    assert mark.events.filter(action="revoked").count() == 1
    assert audit_actions(mark)[:2] == ["trust_mark.change_requested", "trust_mark.refused"]
    assert "trust_mark.change_approved" in audit_actions(mark)


def test_reinstatement_waits_for_a_second_assessor(make_mark, personas, lee):
    from trustmarks.services import trust_mark_request_approve, trust_mark_request_reinstate

    mark = make_mark(status="suspended")
    request = trust_mark_request_reinstate(mark=mark, actor=lee, reason="Queue running again")
    mark.refresh_from_db()
    assert mark.status == "suspended"
    # The mark's own assessor may be the second pair of eyes when a lead asked.
    assert trust_mark_request_approve(request=request, actor=personas.ada).status == "active"


def test_approval_by_a_conflicted_or_unassigned_assessor_is_refused(make_mark, personas, ivy, bea, lee):
    from trustmarks.services import trust_mark_request_approve, trust_mark_request_revoke

    mark = make_mark()
    request = trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="Fraud")
    refused(
        lambda: trust_mark_request_approve(request=request, actor=ivy),
        match="Conflict of interest: you are a member of Acme AI, so you cannot approve its revoke",
    )
    refused(
        lambda: trust_mark_request_approve(request=request, actor=bea), match="only its assessor or a lead"
    )
    refused(
        lambda: trust_mark_request_approve(request=request, actor=personas.pat), match="platform assessor"
    )
    mark.refresh_from_db()
    request.refresh_from_db()
    assert mark.status == "active" and request.state == "pending"
    assert trust_mark_request_approve(request=request, actor=lee).status == "revoked"


def test_a_conflicted_lead_cannot_ask_either(make_mark, personas, ivy):
    from trustmarks.services import trust_mark_request_revoke

    refused(
        lambda: trust_mark_request_revoke(mark=make_mark(), actor=ivy, reason="Insider"),
        match="Conflict of interest",
    )


def test_reject_and_withdraw_change_nothing_public(make_mark, personas, lee, bea):
    from trustmarks.services import (
        trust_mark_request_reject,
        trust_mark_request_revoke,
    )

    mark = make_mark()
    first = trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="Maybe")
    with pytest.raises(DomainError) as exc:  # one pending request per mark
        trust_mark_request_revoke(mark=mark, actor=lee, reason="Me too")
    assert exc.value.status == 409 and exc.value.code == "request_pending"
    refused(lambda: trust_mark_request_reject(request=first, actor=bea), match="only its assessor or a lead")
    assert trust_mark_request_reject(request=first, actor=lee, note="Not enough").state == "rejected"
    second = trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="Again")
    assert trust_mark_request_reject(request=second, actor=personas.ada).state == "withdrawn"
    mark.refresh_from_db()
    assert mark.status == "active" and mark.events.count() == 1
    actions = audit_actions(mark)
    assert "trust_mark.change_rejected" in actions and "trust_mark.change_withdrawn" in actions


def test_a_change_that_no_longer_applies_is_not_approved(make_mark, personas, lee):
    from trustmarks.models import TrustMark
    from trustmarks.services import trust_mark_request_approve, trust_mark_request_reinstate

    mark = make_mark(status="suspended")
    request = trust_mark_request_reinstate(mark=mark, actor=personas.ada, reason="Fixed")
    TrustMark.objects.filter(pk=mark.pk).update(expires=timezone.localdate() - timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        trust_mark_request_approve(request=request, actor=lee)
    assert exc.value.status == 409
    request.refresh_from_db()
    assert request.state == "pending"


# --- surveillance review and renewal -------------------------------------------------------------


def test_renew_without_a_surveillance_review_is_refused(make_mark, personas, lee):
    from trustmarks.services import trust_mark_renew

    mark = make_mark(days_ago=320)
    refused(
        lambda: trust_mark_renew(mark=mark, actor=personas.ada, reason="Looks fine"),
        match="needs a completed surveillance review",
        code="review_required",
    )
    review(mark, personas.ada, evidence_valid=False)
    refused(
        lambda: trust_mark_renew(mark=mark, actor=personas.ada, reason="Looks fine"),
        match="found the evidence no longer valid",
    )
    review(mark, personas.ada, **{"PSF-3": 1.0})
    refused(
        lambda: trust_mark_renew(mark=mark, actor=lee, reason="Looks fine"),
        match="does not meet the pass rule (PSF-3 scored 1.0",
    )
    mark.refresh_from_db()
    assert [e.action for e in mark.events.all()] == ["issued"]


def test_renew_uses_the_review_once_and_carries_its_scores(client, make_mark, personas, lee):
    from core.models import AuditEvent
    from trustmarks.services import trust_mark_renew

    mark = make_mark(days_ago=320)
    r = review(mark, lee, **{"PSF-8": 3.0})
    assert r.changed == ["PSF-8"] and r.scores["PSF-8"] == 3.0 and r.scores["PSF-1"] == mark.scores["PSF-1"]
    logged = AuditEvent.objects.get(action="trust_mark.surveillance_reviewed")
    assert logged.data["changed"] == ["PSF-8"] and logged.actor_email == "lee@workflowos.example"
    assert "CONFIDENTIAL-NOTES" not in json.dumps(logged.data)
    renewed = trust_mark_renew(mark=mark, actor=personas.ada, reason="Surveillance review passed")
    assert renewed.scores["PSF-8"] == 3.0 and renewed.last_review == timezone.localdate()
    body = json.loads(client.get("/api/certify/trust-mark/verify", {"id": mark.mark_id}).content)
    assert body["scores"]["PSF-8"] == 3.0
    r.refresh_from_db()
    assert r.renewed_at is not None
    # The review was used: another renewal needs another review.
    refused(
        lambda: trust_mark_renew(mark=renewed, actor=personas.ada, reason="Again"),
        match="needs a completed surveillance review",
    )


def test_a_review_by_an_assessor_who_became_conflicted_does_not_count(make_mark, personas, lee):
    from accounts.models import Membership
    from trustmarks.services import trust_mark_renew

    mark = make_mark(days_ago=320)
    review(mark, lee)
    Membership.objects.create(user=lee, organisation=personas.acme, role=Membership.PRACTITIONER)
    refused(
        lambda: trust_mark_renew(mark=mark, actor=personas.ada, reason="Renew"),
        match="made by an assessor with a conflict of interest",
    )


def test_review_form_validates_and_refuses(client_for, make_mark, personas, bea):
    mark = make_mark(days_ago=320)
    c = client_for(personas.ada)
    page = c.get(f"/trust-marks/{mark.mark_id}/review/")
    assert page.status_code == 200 and 'name="score_PSF-8"' in page.content.decode()
    bad = {**REVIEW_FORM, "notes": "", "score_PSF-1": "9", "score_PSF-2": "abc"}
    resp = c.post(f"/trust-marks/{mark.mark_id}/review/", bad)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "errorlist" in html and "less than or equal to 5" in html
    resp = client_for(bea).get(f"/trust-marks/{mark.mark_id}/review/")
    assert resp.status_code == 403 and "only its assessor or a lead assessor" in resp.content.decode()
    assert not mark.reviews.exists()


# --- pages: what each assessor sees, 403s with reasons ----------------------------------------------


def test_pending_request_is_visible_to_both_assessors_and_not_public(
    client, client_for, make_mark, personas, lee
):
    from trustmarks.services import trust_mark_request_revoke

    mark = make_mark()
    trust_mark_request_revoke(mark=mark, actor=personas.ada, reason="SECRET-FRAUD finding")
    mine = client_for(personas.ada).get(f"/trust-marks/{mark.mark_id}/").content.decode()
    assert 'data-testid="pending-request"' in mine and 'data-testid="pending-own"' in mine
    assert 'data-testid="approve-request"' not in mine and 'data-testid="withdraw-request"' in mine
    theirs = client_for(lee).get(f"/trust-marks/{mark.mark_id}/").content.decode()
    assert 'data-testid="pending-request"' in theirs and 'data-testid="approve-request"' in theirs
    assert "SECRET-FRAUD finding" in theirs and "Ada Assessor" in theirs
    public = client.get(f"/verify/{mark.mark_id}").content.decode()
    assert "SECRET-FRAUD" not in public and 'data-testid="pending-request"' not in public
    listing = client_for(lee).get("/trust-marks/").content.decode()
    waiting = listing.split('data-testid="pending-requests"')[1].split("</section>")[0]
    assert mark.mark_id in waiting and "Revoke" in waiting and "Ada Assessor" in waiting
    assert "(you)" in client_for(personas.ada).get("/trust-marks/").content.decode()
    dashboard = client_for(lee).get("/dashboard/").content.decode()
    assert 'data-testid="trust-marks-pending"' in dashboard and mark.mark_id in dashboard


def test_refusals_are_403_pages_with_the_reason_and_are_logged(client_for, make_mark, personas, ivy, lee):
    from core.models import AuditEvent
    from trustmarks.models import LifecycleRequest

    mark = make_mark()
    ada = client_for(personas.ada)
    ada.post(f"/trust-marks/{mark.mark_id}/revoke/", {"reason": "Fraud"})
    request = LifecycleRequest.objects.get()
    resp = ada.post(f"/trust-marks/{mark.mark_id}/requests/{request.pk}/approve/")
    assert resp.status_code == 403 and "a second assessor must approve it" in resp.content.decode()
    resp = ada.post(
        f"/trust-marks/{mark.mark_id}/requests/{request.pk}/approve/", HTTP_ACCEPT="application/json"
    )
    assert resp.status_code == 403 and "a second assessor" in resp.json()["message"]
    resp = client_for(ivy).get(f"/trust-marks/{mark.mark_id}/")
    assert (
        resp.status_code == 403
        and "Conflict of interest: you are a member of Acme AI" in resp.content.decode()
    )
    resp = client_for(personas.ada).post(f"/trust-marks/{mark.mark_id}/renew/", {"reason": "x"})
    assert resp.status_code == 403 and "surveillance review" in resp.content.decode()
    resp = client_for(ivy).post(f"/trust-marks/{mark.mark_id}/suspend/", {"reason": "insider"})
    assert resp.status_code == 403 and "Conflict of interest" in resp.content.decode()
    refusals = AuditEvent.objects.filter(action="trust_mark.refused").order_by("sequence")
    assert [(e.data["attempted"], e.data["code"], e.actor_email) for e in refusals] == [
        ("approve", "four_eyes", "ada@workflowos.example"),
        ("approve", "four_eyes", "ada@workflowos.example"),
        ("renew", "review_required", "ada@workflowos.example"),
        ("suspend", "lifecycle_refused", "ivy@workflowos.example"),
    ]
    assert all(e.organisation_id_ref == personas.acme.pk for e in refusals)
    assert lee.is_lead_assessor
    resp = client_for(lee).post(f"/trust-marks/{mark.mark_id}/requests/{request.pk}/approve/", {"note": "ok"})
    assert resp.status_code == 302
    mark.refresh_from_db()
    assert mark.status == "revoked"
    page = client_for(lee).get(f"/trust-marks/{mark.mark_id}/").content.decode()
    assert "asked by Ada Assessor, approved by Lee Lead Assessor" in page


def test_an_unassigned_assessor_sees_the_page_but_no_actions(client_for, make_mark, personas, bea):
    mark = make_mark()
    page = client_for(bea).get(f"/trust-marks/{mark.mark_id}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="rule-refusal"' in html
    assert 'data-testid="action-suspend"' not in html and "surveillance-review-link" not in html
    assert client_for(bea).post(f"/trust-marks/{mark.mark_id}/suspend/", {"reason": "x"}).status_code == 403


# --- the public history (item 6) --------------------------------------------------------------------


def test_public_history_shows_dates_and_kinds_never_reasons_or_people(client, make_mark, personas, lee):
    from trustmarks.services import (
        trust_mark_reinstate,
        trust_mark_renew,
        trust_mark_revoke,
        trust_mark_suspend,
    )

    mark = make_mark(days_ago=320)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="SECRET-SUSPEND-REASON")
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="SECRET-REINSTATE-REASON", approver=lee)
    review(mark, personas.ada)
    trust_mark_renew(mark=mark, actor=personas.ada, reason="SECRET-RENEW-REASON")
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="SECRET-REVOKE-REASON", approver=lee)
    html = client.get(f"/verify/{mark.mark_id}").content.decode()
    history = html.split('data-testid="status-history"')[1].split("</ol>")[0]
    kinds = [k for k in ("Issued", "Suspended", "Reinstated", "Renewed", "Revoked") if k in history]
    assert kinds == ["Issued", "Suspended", "Reinstated", "Renewed", "Revoked"]
    assert history.index("Issued") < history.index("Suspended") < history.index("Revoked")
    assert timezone.localdate().strftime("%Y-%m-%d") in history
    for secret in ("SECRET", "Ada Assessor", "Lee Lead", "ada@", "lee@", "CONFIDENTIAL-NOTES"):
        assert secret not in html, secret


def test_public_history_shows_an_expiry_not_yet_recorded(client, make_mark):
    mark = make_mark(days_ago=370)
    html = client.get(f"/verify/{mark.mark_id}").content.decode()
    history = html.split('data-testid="status-history"')[1].split("</ol>")[0]
    day_after = (mark.expires + timedelta(days=1)).strftime("%Y-%m-%d")
    assert "Expired" in history and day_after in history
