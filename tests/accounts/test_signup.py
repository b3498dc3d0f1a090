"""Sign-up (WORKFLOWOS_SIGNUP), e-mail verification, the choice after it, data export and account
deletion: services and the pages that call them."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiToken, Membership, Organisation, User
from accounts.services import api_token_issue
from accounts.services.account import account_data_export, account_delete
from accounts.services.members import invitation_accept_new_user, invitation_create
from accounts.services.signup import (
    VerificationInvalid,
    email_verification_token,
    email_verify,
    user_sign_up,
)
from core.models import AuditEvent
from lib.errors import DomainError

pytestmark = pytest.mark.django_db

PASSWORD = "saffron-quarry-window-73"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.WORKFLOWOS_SIGNUP = "open"
    settings.WORKFLOWOS_TERMS_URL = ""
    settings.WORKFLOWOS_PRIVACY_URL = ""
    cache.clear()  # the throttle counters live in the cache
    yield
    cache.clear()


def _form(email="newbie@example.org", name="Nina Newbie", password=PASSWORD, **extra):
    return {"email": email, "name": name, "password1": password, "password2": password, **extra}


def _sign_up(client, capture, **kw):
    with capture(execute=True):
        return client.post("/accounts/sign-up/", _form(**kw))


def _link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/verify-email/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def _mail_to(address: str):
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, [m.to for m in mail.outbox]
    return sent[-1]


# --- the sign-up form -------------------------------------------------------------------------------


def test_sign_up_creates_an_unverified_account_and_mails_the_link(client, django_capture_on_commit_callbacks):
    page = client.get("/accounts/sign-up/")
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()
    assert 'name="agree"' not in page.content.decode()  # no terms configured: nothing to agree to

    resp = _sign_up(client, django_capture_on_commit_callbacks, email="Newbie@Example.org")
    assert resp.status_code == 302 and resp["Location"] == "/accounts/sign-up/sent/"
    user = User.objects.get(email="newbie@example.org")
    assert user.email_verified is None and user.name == "Nina Newbie"
    assert user.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session  # not signed in: the link does that
    sent = _mail_to("newbie@example.org")
    assert "Confirm your e-mail" in sent.subject
    assert _link(sent.body).startswith("/accounts/verify-email/")
    page = client.get("/accounts/sign-up/sent/")
    assert "newbie@example.org" in page.content.decode()
    assert AuditEvent.objects.filter(action="user.signed_up", object_id=str(user.pk)).exists()


def test_a_registered_address_gets_the_same_answer_and_its_owner_an_email(
    personas, django_capture_on_commit_callbacks
):
    new_client, old_client = Client(), Client()
    new = _sign_up(new_client, django_capture_on_commit_callbacks, email="fresh@example.org")
    old = _sign_up(old_client, django_capture_on_commit_callbacks, email="PAT@acme.example")
    assert (new.status_code, new["Location"]) == (old.status_code, old["Location"])
    new_page = new_client.get(new["Location"]).content.decode().replace("fresh@example.org", "X")
    old_page = old_client.get(old["Location"]).content.decode().replace("pat@acme.example", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", new_page) == strip.sub("", old_page)

    assert User.objects.filter(email__iexact="pat@acme.example").count() == 1
    personas.pat.refresh_from_db()
    assert personas.pat.email_verified is not None  # untouched
    warning = _mail_to("pat@acme.example")
    assert "tried to sign up" in warning.subject
    assert "/accounts/password-reset/" in warning.body
    assert "/accounts/verify-email/" not in warning.body  # no link that would sign anyone in
    assert AuditEvent.objects.filter(action="user.sign_up_existing_address").count() == 1


@pytest.mark.parametrize(
    "data,field,message",
    [
        (_form(password="short"), "password1", "too short"),
        (_form(password="password123"), "password1", "too common"),
        (_form(password="nina-newbie-example"), "password1", "too similar"),
        ({**_form(), "password2": "something-else-entirely-9"}, "password2", "differ"),
        (_form(email="not-an-address"), "email", "valid email"),
        (_form(name=""), "name", "required"),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(client, data, field, message):
    resp = client.post("/accounts/sign-up/", data)
    assert resp.status_code == 400
    errors = resp.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert not User.objects.filter(email="newbie@example.org").exists()
    assert not mail.outbox


def test_terms_and_privacy_links_need_the_agreement_box(client, settings, django_capture_on_commit_callbacks):
    settings.WORKFLOWOS_TERMS_URL = "https://operator.example/terms"
    settings.WORKFLOWOS_PRIVACY_URL = "https://operator.example/privacy"
    page = client.get("/accounts/sign-up/").content.decode()
    assert 'href="https://operator.example/terms"' in page
    assert 'href="https://operator.example/privacy"' in page
    resp = client.post("/accounts/sign-up/", _form())
    assert resp.status_code == 400 and "Tick the box" in resp.content.decode()
    assert not User.objects.filter(email="newbie@example.org").exists()
    resp = _sign_up(client, django_capture_on_commit_callbacks, agree="on")
    assert resp.status_code == 302
    assert User.objects.filter(email="newbie@example.org").exists()


def test_only_the_privacy_link_when_only_it_is_set(client, settings):
    settings.WORKFLOWOS_PRIVACY_URL = "https://operator.example/privacy"
    page = client.get("/accounts/sign-up/").content.decode()
    assert "privacy notice" in page and "terms of service" not in page


def test_sign_up_is_throttled_per_address_and_per_client(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_RATE_EMAIL = "2/h"
    settings.SIGNUP_RATE_IP = "4/h"
    codes = [_sign_up(client, django_capture_on_commit_callbacks).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert (
        "Too many sign-up attempts" in _sign_up(client, django_capture_on_commit_callbacks).content.decode()
    )
    # Another address from the same client: the per-client budget (4) is spent after one more.
    codes = [
        _sign_up(client, django_capture_on_commit_callbacks, email=f"n{i}@example.org").status_code
        for i in range(2)
    ]
    assert codes == [429, 429]
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert _sign_up(other, django_capture_on_commit_callbacks, email="n9@example.org").status_code == 302
    assert _sign_up(other, django_capture_on_commit_callbacks).status_code == 429  # per address, anywhere


def test_throttle_counts_registered_addresses_alike(
    client, personas, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_RATE_EMAIL = "1/h"
    assert _sign_up(client, django_capture_on_commit_callbacks, email="pat@acme.example").status_code == 302
    assert _sign_up(client, django_capture_on_commit_callbacks, email="pat@acme.example").status_code == 429


# --- modes --------------------------------------------------------------------------------------------


def test_closed_has_no_sign_up_page_and_no_link(client, settings):
    settings.WORKFLOWOS_SIGNUP = "closed"
    assert client.get("/accounts/sign-up/").status_code == 404
    assert client.post("/accounts/sign-up/", _form()).status_code == 404
    assert client.get("/accounts/sign-up/sent/").status_code == 404
    assert "Create an account" not in client.get("/accounts/sign-in/").content.decode()
    assert "Create an account" not in client.get("/").content.decode()
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_invite_only_says_so_and_creates_nothing(client, settings):
    settings.WORKFLOWOS_SIGNUP = "invite-only"
    page = client.get("/accounts/sign-up/")
    assert page.status_code == 200
    assert "invitation" in page.content.decode() and 'name="password1"' not in page.content.decode()
    assert client.post("/accounts/sign-up/", _form()).status_code == 403
    assert not User.objects.filter(email="newbie@example.org").exists()
    assert "Create an account" not in client.get("/accounts/sign-in/").content.decode()
    with pytest.raises(DomainError):
        user_sign_up(email="newbie@example.org", name="N", password=PASSWORD)


def test_open_links_create_an_account_from_sign_in_and_landing(client):
    assert 'href="/accounts/sign-up/"' in client.get("/accounts/sign-in/").content.decode()
    assert 'href="/accounts/sign-up/"' in client.get("/").content.decode()


def _settings_in_a_fresh_process(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.WORKFLOWOS_SIGNUP)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "workflowos.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_defaults_to_invite_only_and_development_to_open(tmp_path):
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "ALLOWED_HOSTS": "workflowos.example",
        "WORKFLOWOS_VAR_DIR": str(tmp_path),
    }
    assert _settings_in_a_fresh_process(**production) == "invite-only"
    assert _settings_in_a_fresh_process(**production, WORKFLOWOS_SIGNUP="open") == "open"
    assert _settings_in_a_fresh_process(DJANGO_ENV="development", WORKFLOWOS_VAR_DIR=str(tmp_path)) == "open"


# --- verification ----------------------------------------------------------------------------------


def _new_user(capture, email="newbie@example.org"):
    with capture(execute=True):
        user = user_sign_up(email=email, name="Nina Newbie", password=PASSWORD)
    assert user is not None
    return user


def test_link_verifies_once_and_signs_in_the_browser_that_signed_up(
    client, django_capture_on_commit_callbacks
):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(_mail_to("newbie@example.org").body)
    confirm = client.get(link)  # a mail scanner following the link uses nothing up
    assert confirm.status_code == 200 and "Confirm my address" in confirm.content.decode()
    assert User.objects.get(email="newbie@example.org").email_verified is None
    resp = client.post(link)
    assert resp.status_code == 302 and resp["Location"] == "/accounts/welcome/"
    user = User.objects.get(email="newbie@example.org")
    assert user.email_verified is not None
    assert client.get("/dashboard/").status_code == 200  # signed in and verified
    again = client.post(link)
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert AuditEvent.objects.filter(action="user.email_verified", object_id=str(user.pk)).count() == 1


def test_link_opened_in_another_browser_verifies_but_does_not_sign_in(django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    link = _link(_mail_to(user.email).body)
    other = Client()
    resp = other.post(link)
    assert resp.status_code == 200 and "Sign in to continue" in resp.content.decode()
    assert "_auth_user_id" not in other.session
    user.refresh_from_db()
    assert user.is_email_verified


def test_tampered_link_is_refused_and_changes_nothing(client, django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    token = email_verification_token(user)
    value, _, _sig = token.rpartition(":")
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token.replace(f"{user.pk}.", f"{user.pk + 1}.", 1),
        "not-a-token",
        value,
    ):
        resp = client.post(f"/accounts/verify-email/{bad}/")
        assert resp.status_code == 404, bad
        assert "not valid" in resp.content.decode()
    user.refresh_from_db()
    assert user.email_verified is None


def test_expired_link_is_refused_and_changes_nothing(
    client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    user = _new_user(django_capture_on_commit_callbacks)
    old = int(time.time()) - settings.EMAIL_VERIFICATION_TIMEOUT - 60
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
        token = email_verification_token(user)
    resp = client.get(f"/accounts/verify-email/{token}/")
    assert resp.status_code == 410 and "expired" in resp.content.decode()
    assert client.post(f"/accounts/verify-email/{token}/").status_code == 410
    user.refresh_from_db()
    assert user.email_verified is None
    with pytest.raises(VerificationInvalid) as exc:
        email_verify(token=token)
    assert exc.value.code == "verification_expired"


def test_link_for_an_earlier_address_is_refused(django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    token = email_verification_token(user)
    User.objects.filter(pk=user.pk).update(email="renamed@example.org")
    with pytest.raises(VerificationInvalid):
        email_verify(token=token)


def test_unverified_account_can_only_verify_resend_or_sign_out(django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    c = Client()
    resp = c.post("/accounts/sign-in/", {"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    for path in (
        "/dashboard/",
        "/organisation/",
        "/account/tokens/",
        "/account/export/",
        "/accounts/welcome/",
        "/studio/",
    ):
        resp = c.get(path)
        assert resp.status_code == 302 and resp["Location"] == "/accounts/verify-email/", path
    assert c.post("/account/tokens/", {"name": "x", "lifetime": "30"}).status_code == 302
    assert not ApiToken.objects.filter(user=user).exists()
    api = c.get("/api/me/")
    assert api.status_code == 403 and api.json()["error"] == "email_unverified"
    pending = c.get("/accounts/verify-email/")
    assert pending.status_code == 200 and user.email in pending.content.decode()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post("/accounts/verify-email/resend/").status_code == 302
    assert _link(_mail_to(user.email).body)
    assert c.post("/accounts/sign-out/").status_code == 302
    assert "_auth_user_id" not in c.session


def test_unverified_accounts_token_is_refused(client, django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    raw = api_token_issue(user=user, name="automation")  # e.g. manage.py issue_api_token
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert resp.status_code == 403 and resp.json()["error"] == "email_unverified"


def test_resend_is_throttled(settings, django_capture_on_commit_callbacks):
    settings.SIGNUP_RATE_EMAIL = "1/h"
    user = _new_user(django_capture_on_commit_callbacks)
    c = Client()
    c.force_login(user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/accounts/verify-email/resend/")
        resp = c.post("/accounts/verify-email/resend/", follow=True)
    assert len(mail.outbox) == 1
    assert "Too many e-mails" in resp.content.decode()


def test_everyone_else_counts_as_verified(personas, django_capture_on_commit_callbacks):
    assert all(u.email_verified is not None for u in User.objects.all())  # demo users
    with django_capture_on_commit_callbacks(execute=True):
        _inv, raw = invitation_create(
            organisation=personas.acme, email="invitee@example.org", role="practitioner", actor=personas.alice
        )
        membership = invitation_accept_new_user(raw=raw, password=PASSWORD)
    assert membership.user.email_verified is not None  # the invitation link reached the address
    assert User.objects.create_superuser("ops@example.org", PASSWORD).email_verified is not None


def test_data_migration_marks_existing_users_verified(personas):
    migration = importlib.import_module("accounts.migrations.0004_user_email_verified")
    User.objects.update(email_verified=None)
    migration.existing_users_verified(apps, None)
    for user in User.objects.all():
        assert user.email_verified == user.date_joined


# --- after verifying: an organisation or a personal account -----------------------------------------


def _verified(capture, email="newbie@example.org") -> tuple[User, Client]:
    user = _new_user(capture, email)
    email_verify(token=email_verification_token(user))
    user.refresh_from_db()
    c = Client()
    c.force_login(user)
    return user, c


def test_create_an_organisation_and_become_its_admin(personas, django_capture_on_commit_callbacks):
    user, c = _verified(django_capture_on_commit_callbacks)
    assert c.get("/accounts/welcome/").status_code == 200
    resp = c.post("/accounts/welcome/", {"choice": "organisation", "name": "  Acme   AI "})
    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.ADMIN
    assert membership.organisation.name == "Acme AI"
    assert membership.organisation.slug == "acme-ai-2"  # the demo's Acme AI has acme-ai
    page = c.get("/dashboard/").content.decode()
    assert "Acme AI" in page and "admin" in page.lower()
    assert c.get("/organisation/").status_code == 200
    assert AuditEvent.objects.filter(
        action="organisation.created", organisation_id_ref=membership.organisation_id
    ).exists()


def test_organisation_needs_a_name(django_capture_on_commit_callbacks):
    _user, c = _verified(django_capture_on_commit_callbacks)
    resp = c.post("/accounts/welcome/", {"choice": "organisation", "name": "   "})
    assert resp.status_code == 400 and "Name your organisation" in resp.content.decode()
    assert c.post("/accounts/welcome/", {"choice": "neither"}).status_code == 400
    assert not Organisation.objects.filter(memberships__user=_user).exists()


def test_personal_account_gets_a_working_dashboard(django_capture_on_commit_callbacks):
    user, c = _verified(django_capture_on_commit_callbacks)
    resp = c.post("/accounts/welcome/", {"choice": "personal"})
    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    page = c.get("/dashboard/")
    assert page.status_code == 200
    assert "not a member of any organisation" in page.content.decode()
    assert 'href="/accounts/welcome/"' in page.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    for path in ("/account/sessions/", "/account/tokens/", "/psf/", "/account/delete/"):
        assert c.get(path).status_code == 200, path
    assert c.get("/organisation/").status_code == 403
    assert c.get("/api/me/").status_code == 200


def test_welcome_is_only_for_open_sign_up(settings, django_capture_on_commit_callbacks):
    _user, c = _verified(django_capture_on_commit_callbacks)
    settings.WORKFLOWOS_SIGNUP = "invite-only"
    assert c.get("/accounts/welcome/").status_code == 404
    assert c.post("/accounts/welcome/", {"choice": "organisation", "name": "X"}).status_code == 404


# --- export -----------------------------------------------------------------------------------------


def test_export_holds_own_data_and_no_secrets(personas, client_for):
    from studio.services import workflow_from_template

    raw = api_token_issue(user=personas.pat, name="ci")
    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Pat's RAG"
    )
    c = client_for(personas.pat)
    resp = c.get("/account/export/")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"
    assert resp["Content-Disposition"].startswith("attachment;")
    assert resp["Cache-Control"] == "no-store"
    text = resp.content.decode()
    data = json.loads(text)
    assert data["profile"]["email"] == "pat@acme.example"
    assert [m["organisation_slug"] for m in data["memberships"]] == ["acme-ai"]
    assert data["api_tokens"][0]["name"] == "ci"
    assert {"id": wf.pk, "name": "Pat's RAG"}.items() <= data["workflows_created"][0].items()
    # Never a secret: not the token, its hash, the password hash or a session key hash.
    token = ApiToken.objects.get(user=personas.pat)
    personas.pat.refresh_from_db()
    assert raw not in text and token.key_hash not in text
    assert personas.pat.password not in text and "key_hash" not in text and "password" not in text
    for row in personas.pat.sessions.all():
        assert row.key_hash not in text
    # Only pat's own data.
    assert "alice@acme.example" not in json.dumps(data["memberships"] + data["api_tokens"])
    assert AuditEvent.objects.filter(action="user.data_exported", object_id=str(personas.pat.pk)).exists()


def test_export_lists_audit_events_about_the_user(personas, client_for, django_capture_on_commit_callbacks):
    from accounts.services.members import membership_role_change

    m = Membership.objects.get(user=personas.pat, organisation=personas.acme)
    membership_role_change(membership=m, role="admin", actor=personas.alice)
    data = client_for(personas.pat).get("/account/export/").json()
    assert "member.role_changed" in [e["action"] for e in data["audit_events"]]


# --- delete -----------------------------------------------------------------------------------------


def test_delete_needs_the_password(personas, client_for):
    c = client_for(personas.pat)
    resp = c.post("/account/delete/", {"password": "wrong-password-123"})
    assert resp.status_code == 400 and "not your current password" in resp.content.decode()
    assert User.objects.filter(pk=personas.pat.pk).exists()
    assert c.post("/account/delete/", {}).status_code == 400


def test_delete_keeps_the_organisations_content(
    personas, client_for, settings, django_capture_on_commit_callbacks
):
    from studio.models import Workflow
    from studio.services import workflow_from_template

    wf = workflow_from_template(
        organisation=personas.acme, author=personas.pat, slug="rag-assistant", name="Kept"
    )
    c = client_for(personas.pat)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post("/account/delete/", {"password": settings.DEMO_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert not User.objects.filter(email="pat@acme.example").exists()
    kept = Workflow.objects.get(pk=wf.pk)
    assert kept.created_by is None and kept.organisation == personas.acme
    assert kept.versions.exists()
    assert Organisation.objects.filter(pk=personas.acme.pk).exists()
    assert "deleted" in _mail_to("pat@acme.example").subject
    assert AuditEvent.objects.filter(action="user.deleted", object_id=str(personas.pat.pk)).exists()
    assert c.get("/dashboard/").status_code == 302  # signed out


def test_last_admin_of_an_organisation_with_members_is_refused(personas, client_for, settings):
    c = client_for(personas.alice)
    page = c.get("/account/delete/")
    assert "only admin of Acme AI" in page.content.decode()
    resp = c.post("/account/delete/", {"password": settings.DEMO_PASSWORD})
    assert resp.status_code == 409
    assert "make another member an admin first" in resp.content.decode()
    assert User.objects.filter(pk=personas.alice.pk).exists()
    # Once someone else is admin, she may go; Acme keeps its new admin.
    Membership.objects.filter(user=personas.pat, organisation=personas.acme).update(role=Membership.ADMIN)
    assert c.post("/account/delete/", {"password": settings.DEMO_PASSWORD}).status_code == 302
    assert Membership.objects.filter(organisation=personas.acme, role=Membership.ADMIN).count() == 1


def test_sole_member_of_an_empty_organisation_takes_it_along(django_capture_on_commit_callbacks):
    user, c = _verified(django_capture_on_commit_callbacks)
    c.post("/accounts/welcome/", {"choice": "organisation", "name": "Solo Ltd"})
    org = Organisation.objects.get(name="Solo Ltd")
    deleted = account_delete(user=user, password=PASSWORD)
    assert deleted == ["Solo Ltd"]
    assert not Organisation.objects.filter(pk=org.pk).exists()


def test_sole_member_of_an_organisation_with_content_is_refused(
    rubric_version, django_capture_on_commit_callbacks
):
    from studio.services import workflow_from_template

    user, c = _verified(django_capture_on_commit_callbacks)
    c.post("/accounts/welcome/", {"choice": "organisation", "name": "Busy Ltd"})
    org = Organisation.objects.get(name="Busy Ltd")
    workflow_from_template(organisation=org, author=user, slug="rag-assistant", name="Busy flow")
    with pytest.raises(DomainError) as exc:
        account_delete(user=user, password=PASSWORD)
    assert exc.value.status == 409 and "only member of Busy Ltd" in exc.value.message
    assert Organisation.objects.filter(pk=org.pk).exists() and User.objects.filter(pk=user.pk).exists()


def test_export_service_for_a_user_without_anything(django_capture_on_commit_callbacks):
    user = _new_user(django_capture_on_commit_callbacks)
    data = account_data_export(user=user)
    assert data["memberships"] == [] and data["workflows_created"] == [] and data["api_tokens"] == []
    assert data["profile"]["email_verified"] is None


# --- every page keeps to the Content-Security-Policy ---------------------------------------------------


def test_sign_up_pages_have_a_strict_policy(personas, settings, django_capture_on_commit_callbacks):
    from tests.test_csp import markup_problems, strictness_problems

    settings.WORKFLOWOS_TERMS_URL = "https://operator.example/terms"
    user = _new_user(django_capture_on_commit_callbacks)
    token = email_verification_token(user)
    unverified = Client()
    unverified.force_login(user)
    _user, verified = _verified(django_capture_on_commit_callbacks, email="v@example.org")
    pages = [
        (Client(), "/accounts/sign-up/"),
        (Client(), "/accounts/sign-up/sent/"),
        (Client(), f"/accounts/verify-email/{token}/"),
        (Client(), "/accounts/verify-email/tampered/"),
        (unverified, "/accounts/verify-email/"),
        (verified, "/accounts/welcome/"),
        (verified, "/account/delete/"),
        (verified, "/dashboard/"),
        (Client(), "/"),
        (Client(), "/accounts/sign-in/"),
    ]
    failures = []
    for c, url in pages:
        resp = c.get(url)
        assert resp["Content-Type"].startswith("text/html"), url
        failures += [
            f"{url}: {p}" for p in strictness_problems(resp) + markup_problems(resp.content.decode())
        ]
    settings.WORKFLOWOS_SIGNUP = "invite-only"
    resp = Client().get("/accounts/sign-up/")
    failures += [
        f"invite-only: {p}" for p in strictness_problems(resp) + markup_problems(resp.content.decode())
    ]
    assert not failures, "\n".join(failures)


def test_the_production_stacks_outbox_gives_the_verification_link(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    """The journey reads the link from the stack's file outbox (tests/production_stack.sent_mail):
    check that parsing on a message written by the same file backend the stack uses."""
    from tests.production_stack import Stack, sent_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    settings.PUBLIC_URL = "http://localhost:18499"
    user = _new_user(django_capture_on_commit_callbacks, email="stack@example.org")
    (sent,) = sent_mail(Stack(url=settings.PUBLIC_URL, var_dir=tmp_path, env={}))
    assert sent.to == ["stack@example.org"] and "Confirm" in sent.subject
    token = _link(sent.body).split("/")[-2]
    assert email_verify(token=token).pk == user.pk
