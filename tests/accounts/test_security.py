"""Passwords (change, reset), sessions (list, end, idle timeout) and API tokens from the UI."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, UserSession

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet-harbour-1987"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # the throttle counters live in the cache
    yield
    cache.clear()


def _signed_in(user, agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36") -> Client:
    """A browser signed in through the sign-in form (which records the session)."""
    c = Client(HTTP_USER_AGENT=agent)
    resp = c.post("/accounts/sign-in/", {"email": user.email, "password": _demo_password()})
    assert resp.status_code == 302, resp.content.decode()
    assert c.get("/dashboard/").status_code == 200
    return c


# --- password change ------------------------------------------------------------------------------


def test_change_password_needs_the_current_one_and_ends_other_sessions(
    personas, django_capture_on_commit_callbacks
):
    here, elsewhere = _signed_in(personas.pat), _signed_in(personas.pat, agent="Firefox/118.0 (Windows)")
    resp = here.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert resp.status_code == 200 and "incorrect" in resp.content.decode()
    resp = here.post(
        "/account/password/",
        {"old_password": "x", "new_password1": "password", "new_password2": "password"},
    )
    personas.pat.refresh_from_db()
    assert not personas.pat.check_password("password")
    with django_capture_on_commit_callbacks(execute=True):
        resp = here.post(
            "/account/password/",
            {"old_password": _demo_password(), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert resp.status_code == 302
    personas.pat.refresh_from_db()
    assert personas.pat.check_password(NEW_PASSWORD)
    assert here.get("/dashboard/").status_code == 200  # this session stays
    assert elsewhere.get("/dashboard/").status_code == 302  # the other one is signed out
    assert mail.outbox[-1].to == ["pat@acme.example"] and "password was changed" in mail.outbox[-1].subject


def _demo_password() -> str:
    from django.conf import settings

    return settings.DEMO_PASSWORD


# --- password reset -------------------------------------------------------------------------------


def test_reset_answers_the_same_for_unknown_addresses(client, personas):
    known = client.post("/accounts/password-reset/", {"email": "pat@acme.example"})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@acme.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == "/accounts/password-reset/sent/"
    assert [m.to for m in mail.outbox] == [["pat@acme.example"]]
    done = client.get(known["Location"])
    assert "If an account uses that address" in done.content.decode()


def _reset_link() -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_reset_link_sets_a_new_password_once(client, personas):
    other = _signed_in(personas.pat)
    client.post("/accounts/password-reset/", {"email": "pat@acme.example"})
    link = _reset_link()
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    resp = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/reset/done/"
    personas.pat.refresh_from_db()
    assert personas.pat.check_password(NEW_PASSWORD)
    assert other.get("/dashboard/").status_code == 302  # every session was signed out
    again = Client().get(link, follow=True)
    assert "cannot be used" in again.content.decode()


def test_expired_reset_link_changes_nothing(client, personas, monkeypatch, settings):
    client.post("/accounts/password-reset/", {"email": "pat@acme.example"})
    link = _reset_link()
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    resp = client.get(link, follow=True)
    assert "cannot be used" in resp.content.decode()
    personas.pat.refresh_from_db()
    assert personas.pat.check_password(_demo_password())


def test_reset_is_throttled_per_address_and_per_client(client, personas, settings):
    settings.PASSWORD_RESET_RATE_EMAIL = "2/h"
    settings.PASSWORD_RESET_RATE_IP = "4/h"
    codes = [
        client.post("/accounts/password-reset/", {"email": "pat@acme.example"}).status_code for _ in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(mail.outbox) == 2
    # Unknown addresses are counted alike: throttling reveals nothing either.
    codes = [
        client.post("/accounts/password-reset/", {"email": "ghost@acme.example"}).status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429
    other_ip = Client(REMOTE_ADDR="10.9.9.9")
    assert other_ip.post("/accounts/password-reset/", {"email": "alice@acme.example"}).status_code == 302


# --- sessions -------------------------------------------------------------------------------------


def test_sessions_page_lists_device_ip_and_marks_this_one(personas):
    here = _signed_in(personas.pat)
    _signed_in(personas.pat, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1")
    _signed_in(personas.gus)
    html = here.get("/account/sessions/").content.decode()
    assert html.count('data-testid="session-row"') == 2
    assert "Chrome on Linux" in html and "Safari on iPhone" in html and "this session" in html
    assert "127.0.0.1" in html
    row = UserSession.objects.filter(user=personas.pat).first()
    assert len(row.key_hash) == 64 and here.session.session_key not in row.key_hash


def test_sign_out_everywhere_ends_the_other_sessions(personas):
    a, b = _signed_in(personas.pat), _signed_in(personas.pat)
    untouched = _signed_in(personas.gus)
    resp = a.post("/account/sessions/end-all/")
    assert resp.status_code == 302 and resp["Location"] == "/accounts/sign-in/"
    assert a.get("/dashboard/").status_code == 302
    assert b.get("/dashboard/").status_code == 302
    assert untouched.get("/dashboard/").status_code == 200
    assert not UserSession.objects.filter(user=personas.pat, ended__isnull=True).exists()


def test_sign_out_one_other_session(personas):
    a, b = _signed_in(personas.pat), _signed_in(personas.pat)
    b_row = UserSession.objects.get(pk=b.session["_wfos_session_row"])
    assert a.post(f"/account/sessions/{b_row.pk}/end/").status_code == 302
    assert b.get("/dashboard/").status_code == 302
    assert a.get("/dashboard/").status_code == 200
    # Someone else's session: 404, nothing ends.
    g = _signed_in(personas.gus)
    g_row = g.session["_wfos_session_row"]
    assert a.post(f"/account/sessions/{g_row}/end/").status_code == 404
    assert g.get("/dashboard/").status_code == 200


def _travel(monkeypatch, delta: timedelta) -> datetime:
    """Move the clock the app reads (django.utils.timezone.now) forward by ``delta``."""
    real_now = timezone.now
    target = real_now() + delta
    monkeypatch.setattr(timezone, "now", lambda: target)
    return target


def test_idle_timeout_is_shorter_for_admins_and_assessors(personas, settings, monkeypatch):
    settings.SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS = 12 * 3600
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 14 * 24 * 3600
    admin, practitioner, assessor = (
        _signed_in(personas.alice),
        _signed_in(personas.pat),
        _signed_in(personas.ada),
    )
    assert admin.session.get_expiry_age() == 12 * 3600
    assert assessor.session.get_expiry_age() == 12 * 3600
    assert practitioner.session.get_expiry_age() == 14 * 24 * 3600
    _travel(monkeypatch, timedelta(hours=13))
    assert admin.get("/dashboard/").status_code == 302
    assert assessor.get("/dashboard/").status_code == 302
    assert practitioner.get("/dashboard/").status_code == 200
    # The expired session no longer shows in alice's list once she signs in again.
    again = _signed_in(personas.alice)
    assert again.get("/account/sessions/").content.decode().count('data-testid="session-row"') == 1


def test_activity_refreshes_last_seen_and_the_expiry(personas, settings, monkeypatch):
    settings.SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS = 12 * 3600
    c = _signed_in(personas.alice)
    # Active every 11 hours: never idle for 12, so still signed in after 33 hours.
    for hours in (11, 22, 33):
        later = _travel(monkeypatch, timedelta(hours=hours))
        assert c.get("/dashboard/").status_code == 200
        monkeypatch.undo()
    row = UserSession.objects.get(pk=c.session["_wfos_session_row"])
    assert row.last_seen == later
    assert row.ended is None


def test_signing_out_removes_the_session_from_the_list(personas):
    c = _signed_in(personas.pat)
    row_id = c.session["_wfos_session_row"]
    c.post("/accounts/sign-out/")
    assert UserSession.objects.get(pk=row_id).ended is not None


# --- API tokens -----------------------------------------------------------------------------------


def _create_token(c: Client, name="CI", lifetime="30") -> str:
    resp = c.post("/account/tokens/", {"name": name, "lifetime": lifetime})
    assert resp.status_code == 200, resp.content.decode()
    match = re.search(r'value="(wfos_[^"]+)" data-testid="new-token"', resp.content.decode())
    assert match
    assert resp["Cache-Control"] == "no-store"
    return match.group(1)


def test_token_is_shown_once_and_stored_hashed(personas):
    c = _signed_in(personas.pat)
    raw = _create_token(c)
    assert raw not in c.get("/account/tokens/").content.decode()
    token = ApiToken.objects.get(user=personas.pat)
    assert raw not in (token.key_hash, token.prefix) and len(token.key_hash) == 64
    assert (token.expires - token.created) == timedelta(days=30)


def test_token_use_updates_last_used_and_revoke_answers_401(client, personas):
    c = _signed_in(personas.pat)
    raw = _create_token(c)
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert resp.status_code == 200 and resp.json()["email"] == "pat@acme.example"
    token = ApiToken.objects.get(user=personas.pat)
    assert token.last_used is not None
    assert c.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert resp.status_code == 401
    assert resp.json()["error"] == "token_revoked"
    assert "revoked" in resp.json()["message"]


def test_expired_token_answers_401_with_a_clear_message(client, personas):
    raw = _create_token(_signed_in(personas.pat), lifetime="90")
    ApiToken.objects.update(expires=timezone.now() - timedelta(minutes=1))
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert resp.status_code == 401
    body = resp.json()
    assert body["error"] == "token_expired"
    assert body["message"].startswith("This API token has expired")


def test_never_expiring_tokens_are_for_admins_only(personas):
    pat = _signed_in(personas.pat)
    assert "Never expires" not in pat.get("/account/tokens/").content.decode()
    resp = pat.post("/account/tokens/", {"name": "forever", "lifetime": "never"})
    assert resp.status_code == 400 and "Only organisation and platform admins" in resp.content.decode()
    assert not ApiToken.objects.filter(user=personas.pat).exists()
    for admin in (personas.alice, personas.root):
        _create_token(_signed_in(admin), name="forever", lifetime="never")
        assert ApiToken.objects.get(user=admin).expires is None
    assert pat.post("/account/tokens/", {"name": "odd", "lifetime": "7"}).status_code == 400


def test_another_users_token_cannot_be_revoked(personas):
    raw = _create_token(_signed_in(personas.gus))
    token = ApiToken.objects.get(user=personas.gus)
    assert _signed_in(personas.pat).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 200


def test_a_session_from_before_the_upgrade_is_recorded_on_its_next_request(personas, client_for):
    c = client_for(personas.pat)
    legacy = c.session
    for key in ("_wfos_session_row", "_wfos_session_touched"):
        legacy.pop(key, None)
    legacy.save()
    UserSession.objects.all().delete()
    assert c.get("/dashboard/").status_code == 200
    row = UserSession.objects.get(user=personas.pat)
    assert c.session["_wfos_session_row"] == row.pk
    assert c.get("/account/sessions/").content.decode().count('data-testid="session-row"') == 1
