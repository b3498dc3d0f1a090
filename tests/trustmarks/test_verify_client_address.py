"""The verify rate limit behind a trusted proxy, against a spoofed X-Forwarded-For, and with the
cache down (answers, never 500)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/certify/trust-mark/verify"
PROXY = "10.0.0.5"


def _get(client, mark_id, **extra):  # type: ignore[no-untyped-def]
    return client.get(URL, {"id": mark_id}, **extra)


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(client, make_mark, settings):
    settings.VERIFY_RATE = "3/m"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    mark = make_mark()
    for _ in range(3):
        assert (
            _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
            == 200
        )
    assert (
        _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    )
    # A second client through the same proxy is not refused.
    assert (
        _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    )
    # The client cannot escape by prepending an address: the proxy appended the real one last.
    spoofed = _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.1")
    assert spoofed.status_code == 429


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(client, make_mark, settings):
    settings.VERIFY_RATE = "2/m"
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    mark = make_mark()
    chain = "192.0.2.77, 198.51.100.1, 10.0.1.9"  # forged, client, inner proxy
    for _ in range(2):
        assert _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain).status_code == 200
    assert _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain).status_code == 429
    other = "192.0.2.77, 198.51.100.2, 10.0.1.9"
    assert _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=other).status_code == 200


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(client, make_mark, settings):
    settings.VERIFY_RATE = "3/m"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    mark = make_mark()
    for n in range(3):
        assert (
            _get(
                client, mark.mark_id, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
            ).status_code
            == 200
        )
    resp = _get(client, mark.mark_id, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert resp.status_code == 429


def test_without_trusted_proxies_forwarded_for_is_ignored(client, make_mark, settings):
    settings.VERIFY_RATE = "2/m"
    settings.TRUSTED_PROXIES = []
    mark = make_mark()
    for n in range(2):
        assert (
            _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
            == 200
        )
    assert _get(client, mark.mark_id, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 429


def test_verify_answers_while_the_cache_is_down(client, make_mark, settings):
    from django.test import override_settings

    mark = make_mark()
    settings.REDIS_URL = ""  # the limiter counts in the Django cache, which points at a closed port
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:18432/0",
        }
    }
    with override_settings(CACHES=down):
        for _ in range(3):
            resp = _get(client, mark.mark_id)
            assert resp.status_code == 200
            assert json.loads(resp.content)["valid"] is True


def test_client_ip_rule():
    from django.test import RequestFactory, override_settings

    from lib.http import client_ip

    rf = RequestFactory()
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "::1"]):
        assert (
            client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.4"))
            == "203.0.113.4"
        )
        assert client_ip(rf.get("/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="2001:db8::7")) == "2001:db8::7"
        assert (
            client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.4:5555"))
            == "203.0.113.4"
        )
        # No header from a trusted proxy: the proxy is the client.
        assert client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3")) == "10.1.2.3"
        # Garbage where the proxy should have written an address stops the walk.
        assert (
            client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.4, junk"))
            == "10.1.2.3"
        )
        assert (
            client_ip(rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.4")) == "192.0.2.1"
        )
    with override_settings(TRUSTED_PROXIES=[]):
        assert (
            client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.4")) == "10.1.2.3"
        )
