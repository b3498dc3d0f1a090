from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def _issue(email: str) -> str:
    out = StringIO()
    call_command("issue_api_token", email, stdout=out)
    return out.getvalue().strip()


def test_token_is_printed_once_and_stored_hashed(personas):
    token = _issue("pat@acme.example")
    assert token.startswith("wfos_") and len(token) > 30
    stored = ApiToken.objects.get(user=personas.pat)
    assert token not in (stored.key_hash, stored.prefix)
    assert not ApiToken.objects.filter(key_hash__contains=token).exists()


def test_api_accepts_the_token(client, personas):
    token = _issue("pat@acme.example")
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["email"] == "pat@acme.example"
    assert body["active_organisation"] == "acme-ai"


def test_bad_tokens_are_refused_with_json(client, personas):
    for header in ("Token nope", "Token", "Token a b"):
        resp = client.get("/api/me/", HTTP_AUTHORIZATION=header)
        assert resp.status_code in (401, 403), header
        assert "message" in resp.json()
    assert client.get("/api/me/").status_code in (401, 403)


def test_revoked_token_stops_working(client, personas):
    from django.utils import timezone

    token = _issue("pat@acme.example")
    ApiToken.objects.update(revoked=timezone.now())
    assert client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_unknown_email_is_a_clear_command_error(personas):
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_api_token", "ghost@example.org")


def test_organisation_header_selects_among_memberships(client, personas):
    token = _issue("mia@msp.example")
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_ORGANISATION="globex")
    assert resp.json()["active_organisation"] == "globex"
    resp = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_ORGANISATION="not-mine")
    assert resp.json()["active_organisation"] is None
