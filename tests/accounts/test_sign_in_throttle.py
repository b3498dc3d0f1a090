"""The sign-in throttle: per account + client, a slower account-wide limit, the admin sign-in,
trusted proxies, and a cache outage (fails open, never 500)."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

OWNER = "pat@acme.example"
WRONG = "wrong-password-1"
# Nothing listens here (inside this helper's port range): a Redis cache that is down.
DOWN_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:18431/0",
    }
}


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def _sign_in(client: Client, password: str, *, ip: str, email: str = OWNER, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/sign-in/", {"email": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_an_attackers_failures_do_not_lock_the_owner_out(personas):
    attacker, owner = Client(), Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert _sign_in(attacker, WRONG, ip="198.51.100.7").status_code == 400
    locked = _sign_in(attacker, settings.DEMO_PASSWORD, ip="198.51.100.7")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    # The owner, from another address, signs in at once.
    assert _sign_in(owner, settings.DEMO_PASSWORD, ip="203.0.113.20").status_code == 302


def test_the_account_wide_limit_applies_across_addresses(personas):
    assert (settings.LOGIN_ACCOUNT_FAILURE_LIMIT, settings.LOGIN_ACCOUNT_WINDOW_SECONDS) == (50, 3600)
    per_client = settings.LOGIN_FAILURE_LIMIT
    addresses = settings.LOGIN_ACCOUNT_FAILURE_LIMIT // per_client
    # A campaign spread over many addresses: each stays within the per-client limit...
    for n in range(addresses):
        for _ in range(per_client):
            assert _sign_in(Client(), WRONG, ip=f"198.51.100.{n + 1}").status_code == 400
    # ...but together they reach the account-wide limit: the account is locked for everyone,
    # the owner's fresh address included, with the wait until the hour's window ends.
    resp = _sign_in(Client(), settings.DEMO_PASSWORD, ip="203.0.113.20")
    assert resp.status_code == 429
    assert 0 < int(resp["Retry-After"]) <= 3600
    # Another account is not affected.
    other = _sign_in(Client(), settings.DEMO_PASSWORD, ip="203.0.113.20", email="alice@acme.example")
    assert other.status_code == 302


def test_unknown_emails_are_throttled_like_real_ones(personas):
    c = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(c, WRONG, ip="198.51.100.7", email="nobody@acme.example")
    assert _sign_in(c, WRONG, ip="198.51.100.7", email="nobody@acme.example").status_code == 429


def test_admin_sign_in_is_throttled_per_account_and_client(personas):
    attacker = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        resp = attacker.post(
            "/admin/login/",
            {"username": "root@workflowos.example", "password": WRONG},
            REMOTE_ADDR="198.51.100.7",
        )
        assert resp.status_code == 200  # the admin shows its form again
    locked = attacker.post(
        "/admin/login/",
        {"username": "root@workflowos.example", "password": settings.DEMO_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # The main sign-in shares the counters: the same client is locked there too.
    assert (
        _sign_in(
            attacker, settings.DEMO_PASSWORD, ip="198.51.100.7", email="root@workflowos.example"
        ).status_code
        == 429
    )
    # The real admin, elsewhere, gets in.
    owner = Client()
    resp = owner.post(
        "/admin/login/?next=/admin/",
        {"username": "root@workflowos.example", "password": settings.DEMO_PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="203.0.113.20",
    )
    assert resp.status_code == 302
    assert owner.get("/admin/").status_code == 200


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_behind_a_trusted_proxy_clients_are_told_apart(personas):
    attacker, owner = Client(), Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(attacker, WRONG, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _sign_in(attacker, WRONG, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Another client through the same proxy is not locked out.
    assert (
        _sign_in(
            owner, settings.DEMO_PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.20"
        ).status_code
        == 302
    )


def test_a_spoofed_forwarded_for_does_not_escape_the_lock(personas):
    # No trusted proxy: X-Forwarded-For is the client's own claim and is ignored.
    c = Client()
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(c, WRONG, ip="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert _sign_in(c, WRONG, ip="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_sign_in_works_while_the_cache_is_down(personas, caplog):
    with override_settings(CACHES=DOWN_CACHE), caplog.at_level(logging.WARNING, logger="accounts.throttle"):
        c = Client()
        assert _sign_in(c, WRONG, ip="198.51.100.7").status_code == 400
        assert _sign_in(c, settings.DEMO_PASSWORD, ip="198.51.100.7").status_code == 302
        assert c.get("/dashboard/").status_code == 200
        admin = Client()
        resp = admin.post(
            "/admin/login/", {"username": "root@workflowos.example", "password": settings.DEMO_PASSWORD}
        )
        assert resp.status_code == 302
    assert "sign-in throttle unavailable" in caplog.text
