"""The SSRF guard: refused targets at subscription time (and see test_webhooks for delivery time)."""

from __future__ import annotations

import pytest

from lib.errors import DomainError
from notify.targets import webhook_target_check


@pytest.fixture
def strict(settings):  # type: ignore[no-untyped-def]
    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = False
    settings.WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS = True
    return settings


def public(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10:8443/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://100.64.0.1/hook",
        "https://localhost/hook",  # a host name resolving to loopback
    ],
)
def test_private_loopback_link_local_and_reserved_targets_are_refused(strict, url):
    with pytest.raises(DomainError) as exc:
        webhook_target_check(url)
    assert exc.value.errors[0].path == "url"
    assert "public addresses" in exc.value.message


def test_a_name_resolving_to_any_private_address_is_refused(strict):
    with pytest.raises(DomainError):
        webhook_target_check(
            "https://mixed.example/hook", resolver=lambda h, p: ["93.184.215.14", "10.0.0.7"]
        )


@pytest.mark.parametrize(
    "url,reason",
    [
        ("http://hooks.example/x", "https://"),
        ("ftp://hooks.example/x", "https://"),
        ("https://user:pw@hooks.example/x", "user name"),
        ("https:///nohost", "no host"),
        ("https://hooks.example:99999/x", "port"),
        ("https://hooks.example/a b", "spaces"),
        ("", "Give the URL"),
        ("https://hooks.example/" + "a" * 2100, "under"),
    ],
)
def test_malformed_or_plain_http_targets_are_refused_in_production(strict, url, reason):
    with pytest.raises(DomainError) as exc:
        webhook_target_check(url, resolver=public)
    assert reason in exc.value.message


def test_unresolvable_host_is_refused(strict):
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(DomainError, match="could not be resolved"):
        webhook_target_check("https://nowhere.invalid/x", resolver=fail)


def test_public_https_target_is_accepted_and_pinned_to_the_checked_address(strict):
    target = webhook_target_check("https://hooks.example/in?x=1", resolver=public)
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "hooks.example",
        443,
        "/in?x=1",
        "93.184.215.14",
    )


def test_private_targets_only_when_allowed(settings):
    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = True
    settings.WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS = False
    assert webhook_target_check("http://127.0.0.1:18899/x").address == "127.0.0.1"
    # Even then, never multicast or the unspecified address.
    for url in ("http://0.0.0.0/x", "http://224.0.0.1/x"):
        with pytest.raises(DomainError):
            webhook_target_check(url)
