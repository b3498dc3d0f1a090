"""Where a webhook may be sent: the SSRF guard, used when a subscription is made AND before every
request (a name may resolve elsewhere by then).

A target must be ``https://`` (``http://`` too outside production, see
``WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS``), carry no credentials, and every address its host resolves to
must be public: loopback, private, link-local (cloud metadata at 169.254.169.254), multicast,
reserved and unspecified addresses are refused unless ``WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE`` is on
(tests with a local receiver). The request then goes to the address that was checked, never to a
fresh lookup (no DNS rebinding between check and connect).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from lib.errors import DomainError, ErrorItem

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written (for Host and TLS server name)
    port: int
    path: str  # path and query, at least "/"
    address: str  # the checked IP the request is sent to


def _refuse(message: str) -> DomainError:
    return DomainError(message, [ErrorItem("url", message)], code="invalid_webhook_url")


def address_refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not receive webhooks, or ``None`` when it may."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return "an unspecified or multicast address"
    if allow_private:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def webhook_target_check(url: str, *, resolver: Resolver | None = None) -> Target:
    """The checked target of ``url``; DomainError (400, field ``url``) with the reason otherwise."""
    url = (url or "").strip()
    if not url:
        raise _refuse("Give the URL that receives the webhooks.")
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"Keep the URL under {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise _refuse("The URL may not contain spaces or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    require_https = settings.WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS
    allowed_schemes = ("https",) if require_https else ("https", "http")
    if scheme not in allowed_schemes:
        raise _refuse("The URL must start with https://." if require_https else "Use an http(s) URL.")
    if parts.username is not None or parts.password is not None:
        raise _refuse("The URL may not contain a user name or password.")
    host = parts.hostname or ""
    if not host:
        raise _refuse("The URL has no host.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _refuse("The URL's port is not a number between 0 and 65535.") from None
    allow_private = settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = (resolver or resolve)(host, port)
        except (OSError, UnicodeError):
            raise _refuse(f"The host {host} could not be resolved.") from None
        if not addresses:
            raise _refuse(f"The host {host} could not be resolved.")
    for address in addresses:
        why = address_refusal(ipaddress.ip_address(address.split("%")[0]), allow_private=allow_private)
        if why:
            raise _refuse(
                f"The URL's host {host} resolves to {why} ({address}); webhooks go only to public addresses."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, address=addresses[0])
