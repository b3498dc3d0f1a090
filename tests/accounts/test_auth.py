from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def test_sign_in_and_out(client, personas):
    resp = client.post(
        "/accounts/sign-in/", {"email": "pat@acme.example", "password": settings.DEMO_PASSWORD}
    )
    assert resp.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/accounts/sign-out/").status_code == 405  # sign-out is a POST (CSRF-protected)
    resp = client.post("/accounts/sign-out/")
    assert resp.status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, personas):
    wrong = client.post("/accounts/sign-in/", {"email": "pat@acme.example", "password": "nope-nope-nope"})
    unknown = client.post(
        "/accounts/sign-in/", {"email": "nobody@acme.example", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "do not match" in wrong.content.decode()


def test_sign_in_is_throttled_after_repeated_failures(client, personas):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/accounts/sign-in/", {"email": "pat@acme.example", "password": "wrong-password-1"})
    # Even the right password is refused while locked.
    resp = client.post(
        "/accounts/sign-in/", {"email": "pat@acme.example", "password": settings.DEMO_PASSWORD}
    )
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.content.decode()


def test_empty_sign_in_form_gets_field_errors(client, personas):
    resp = client.post("/accounts/sign-in/", {"email": "", "password": ""})
    assert resp.status_code == 400
    assert "This field is required" in resp.content.decode()


def test_open_redirect_is_refused(client, personas):
    resp = client.post(
        "/accounts/sign-in/?next=https://evil.example/",
        {"email": "pat@acme.example", "password": settings.DEMO_PASSWORD, "next": "https://evil.example/"},
    )
    assert resp.status_code == 302
    assert "evil.example" not in resp["Location"]


def test_adviser_switches_organisation(client_for, personas):
    c = client_for(personas.mia)
    assert "Working in <strong>Acme AI</strong>" in c.get("/dashboard/").content.decode()
    resp = c.post(
        "/accounts/organisation/switch/", {"organisation": personas.globex.pk, "next": "/dashboard/"}
    )
    assert resp.status_code == 302
    assert "Working in <strong>Globex</strong>" in c.get("/dashboard/").content.decode()


def test_cannot_switch_into_a_foreign_organisation(client_for, personas):
    c = client_for(personas.pat)
    c.post("/accounts/organisation/switch/", {"organisation": personas.globex.pk})
    html = c.get("/dashboard/").content.decode()
    assert "Working in <strong>Acme AI</strong>" in html
    assert "Globex" not in html


def test_every_signed_in_page_shows_the_active_organisation(client_for, personas):
    c = client_for(personas.alice)
    for url in ("/", "/psf/", "/psf/PSF-2/", "/dashboard/"):
        assert 'data-testid="active-org"' in c.get(url).content.decode(), url
