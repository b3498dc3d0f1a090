"""Members and invitations: services and the pages that call them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Invitation, Membership, User
from accounts.services.members import (
    InvitationInvalid,
    invitation_accept_existing,
    invitation_accept_new_user,
    invitation_cancel,
    invitation_create,
    invitation_resend,
    membership_remove,
    membership_role_change,
)
from core.models import AuditEvent
from lib.errors import DomainError

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "tangerine-lighthouse-42"


def _link_token(body: str) -> str:
    match = re.search(r"/invitations/([A-Za-z0-9_-]+)/", body)
    assert match, body
    return match.group(1)


def _invite(personas, email="newbie@example.org", role=Membership.PRACTITIONER, capture=None):
    return invitation_create(organisation=personas.acme, email=email, role=role, actor=personas.alice)


def test_invite_then_accept_as_new_user(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw = _invite(personas, email="Newbie@Example.org")
    assert invitation.email == "newbie@example.org"
    assert invitation.expires - invitation.created == timedelta(days=7)
    (sent,) = mail.outbox
    assert sent.to == ["newbie@example.org"]
    assert "Acme AI" in sent.subject
    assert _link_token(sent.body) == raw
    assert raw not in Invitation.objects.get(email="newbie@example.org").token_hash  # only a hash is stored

    with django_capture_on_commit_callbacks(execute=True):
        membership = invitation_accept_new_user(raw=raw, password=GOOD_PASSWORD, name="New Bie")
    assert membership.organisation == personas.acme
    assert membership.role == Membership.PRACTITIONER
    user = User.objects.get(email="newbie@example.org")
    assert user.check_password(GOOD_PASSWORD)
    assert mail.outbox[-1].to == ["newbie@example.org"] and "joined" in mail.outbox[-1].subject
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["member.invited", "member.joined"]


def test_link_is_single_use(personas):
    _, raw = _invite(personas)
    invitation_accept_new_user(raw=raw, password=GOOD_PASSWORD)
    with pytest.raises(InvitationInvalid, match="already used"):
        invitation_accept_new_user(raw=raw, password=GOOD_PASSWORD)
    assert Membership.objects.filter(user__email="newbie@example.org").count() == 1


def test_expired_link_changes_nothing(personas):
    _, raw = _invite(personas)
    Invitation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvitationInvalid, match="expired"):
        invitation_accept_new_user(raw=raw, password=GOOD_PASSWORD)
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_tampered_link_changes_nothing(personas):
    _, raw = _invite(personas)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    with pytest.raises(InvitationInvalid, match="not valid"):
        invitation_accept_new_user(raw=tampered, password=GOOD_PASSWORD)
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_weak_password_is_refused_by_django_validators(personas):
    _, raw = _invite(personas)
    with pytest.raises(DomainError) as exc:
        invitation_accept_new_user(raw=raw, password="password")
    assert any("common" in e.message or "short" in e.message for e in exc.value.errors)
    assert not User.objects.filter(email="newbie@example.org").exists()
    assert Invitation.objects.get(email="newbie@example.org").accepted is None


def test_resend_rotates_the_link_and_cancel_kills_it(personas):
    inv, first = _invite(personas)
    second = invitation_resend(invitation=inv, actor=personas.alice)
    with pytest.raises(InvitationInvalid):
        invitation_accept_new_user(raw=first, password=GOOD_PASSWORD)
    invitation_cancel(invitation=inv, actor=personas.alice)
    with pytest.raises(InvitationInvalid, match="cancelled"):
        invitation_accept_new_user(raw=second, password=GOOD_PASSWORD)


def test_inviting_an_existing_member_or_twice_is_a_message(personas):
    with pytest.raises(DomainError, match="already a member"):
        invitation_create(
            organisation=personas.acme, email="PAT@acme.example", role="practitioner", actor=personas.alice
        )
    _invite(personas)
    with pytest.raises(DomainError, match="pending invitation"):
        _invite(personas)


def test_existing_account_accepts_while_signed_in(personas):
    _inv, raw = invitation_create(
        organisation=personas.acme, email="gus@globex.example", role="admin", actor=personas.alice
    )
    with pytest.raises(DomainError, match="signed in as"):
        invitation_accept_existing(raw=raw, user=personas.pat)
    with pytest.raises(DomainError, match="already exists"):
        invitation_accept_new_user(raw=raw, password=GOOD_PASSWORD)
    m = invitation_accept_existing(raw=raw, user=personas.gus)
    assert m.role == "admin" and m.organisation == personas.acme
    assert personas.gus.memberships.count() == 2


def test_last_admin_cannot_be_demoted_or_removed(personas, django_capture_on_commit_callbacks):
    alice = Membership.objects.get(user=personas.alice, organisation=personas.acme)
    with pytest.raises(DomainError, match="only admin") as exc:
        membership_role_change(membership=alice, role="practitioner", actor=personas.alice)
    assert exc.value.code == "last_admin"
    with pytest.raises(DomainError, match="only admin"):
        membership_remove(membership=alice, actor=personas.alice)
    alice.refresh_from_db()
    assert alice.role == "admin"

    pat = Membership.objects.get(user=personas.pat, organisation=personas.acme)
    with django_capture_on_commit_callbacks(execute=True):
        membership_role_change(membership=pat, role="admin", actor=personas.alice)
    assert mail.outbox[-1].to == ["pat@acme.example"] and "admin" in mail.outbox[-1].subject
    membership_role_change(membership=alice, role="practitioner", actor=personas.pat)  # now allowed
    assert Membership.objects.get(pk=alice.pk).role == "practitioner"
    ev = AuditEvent.objects.filter(action="member.role_changed").order_by("-sequence").first()
    assert ev.data == {"email": "alice@acme.example", "old_role": "admin", "role": "practitioner"}


def test_removing_a_member_keeps_their_content(personas, django_capture_on_commit_callbacks):
    from studio.models import Workflow
    from tests.studio.helpers import make_workflow

    wf = make_workflow(personas.acme, personas.pat, "Pat's workflow")
    pat = Membership.objects.get(user=personas.pat, organisation=personas.acme)
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(membership=pat, actor=personas.alice)
    assert not Membership.objects.filter(pk=pat.pk).exists()
    assert Workflow.objects.filter(pk=wf.pk, organisation=personas.acme).exists()
    assert User.objects.filter(pk=personas.pat.pk, is_active=True).exists()
    assert mail.outbox[-1].to == ["pat@acme.example"] and "removed" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="member.removed", data__email="pat@acme.example").exists()


# --- pages --------------------------------------------------------------------------------------


def test_admin_sees_members_last_sign_in_and_pending(client_for, personas):
    resp = client_for(personas.alice).get("/organisation/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "pat@acme.example" in html and "Send invitation" in html
    assert "newcomer@acme.example" in html  # the demo's pending invitation
    assert "gus@globex.example" not in html


def test_practitioner_reads_only(client_for, personas):
    c = client_for(personas.pat)
    html = c.get("/organisation/").content.decode()
    assert "alice@acme.example" in html
    assert "Send invitation" not in html and "Change role" not in html and "newcomer@acme.example" not in html
    alice = Membership.objects.get(user=personas.alice, organisation=personas.acme)
    assert c.post(f"/organisation/members/{alice.pk}/remove/").status_code == 403
    assert (
        c.post("/organisation/invitations/", {"email": "x@example.org", "role": "admin"}).status_code == 403
    )
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_invite_form_errors_are_messages_not_500(client_for, personas):
    c = client_for(personas.alice)
    resp = c.post("/organisation/invitations/", {"email": "pat@acme.example", "role": "practitioner"})
    assert resp.status_code == 400
    assert "already a member" in resp.content.decode()
    resp = c.post("/organisation/invitations/", {"email": "not-an-email", "role": "owner"})
    assert resp.status_code == 400


def test_removing_the_last_admin_from_the_page_says_why(client_for, personas):
    alice = Membership.objects.get(user=personas.alice, organisation=personas.acme)
    resp = client_for(personas.alice).post(f"/organisation/members/{alice.pk}/remove/", follow=True)
    assert "only admin of Acme AI" in resp.content.decode()
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_invitation_page_bad_links_are_clear_pages(client, personas):
    resp = client.get("/invitations/not-a-real-token/")
    assert resp.status_code == 404
    assert "not valid" in resp.content.decode()
    assert (
        client.post("/invitations/not-a-real-token/", {"password1": "x", "password2": "x"}).status_code == 404
    )
    _, raw = _invite(personas)
    Invitation.objects.update(expires=timezone.now() - timedelta(days=1))
    resp = client.post(f"/invitations/{raw}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert resp.status_code == 410 and "expired" in resp.content.decode()
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_invitation_page_sets_password_signs_in_and_lands_in_the_org(client, personas):
    _, raw = _invite(personas)
    resp = client.post(f"/invitations/{raw}/", {"name": "N", "password1": "short", "password2": "short"})
    assert resp.status_code == 400 and "too short" in resp.content.decode()
    resp = client.post(
        f"/invitations/{raw}/", {"name": "N", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    me = client.get("/api/me/").json()
    assert me["email"] == "newbie@example.org" and me["active_organisation"] == "acme-ai"
    assert client.get(f"/invitations/{raw}/").status_code == 410  # reused


def test_signed_in_invitee_with_an_account_accepts_from_the_page(client_for, personas):
    _, raw = invitation_create(
        organisation=personas.acme, email="gus@globex.example", role="practitioner", actor=personas.alice
    )
    assert "Sign in</a>, then accept" in client_for(None).get(f"/invitations/{raw}/").content.decode()
    wrong = client_for(personas.pat)
    assert wrong.post(f"/invitations/{raw}/").status_code == 403
    assert not Membership.objects.filter(user=personas.gus, organisation=personas.acme).exists()
    gus = client_for(personas.gus)
    assert "Accept and join Acme AI" in gus.get(f"/invitations/{raw}/").content.decode()
    resp = gus.post(f"/invitations/{raw}/")
    assert resp.status_code == 302
    assert gus.get("/api/me/").json()["active_organisation"] == "acme-ai"
