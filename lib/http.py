"""The client address of a request, as every rate limit and throttle must see it.

Without configuration the client is the connecting address (``REMOTE_ADDR``): any client can
send ``X-Forwarded-For``, so it is ignored. Behind a TLS-terminating proxy every request comes
from the proxy, so all clients would share one budget; list the proxy's addresses in
``WORKFLOWOS_TRUSTED_PROXIES`` (comma-separated IPs or CIDRs). When the connecting address is one
of them, the client is the right-most address in ``X-Forwarded-For`` that is *not* a trusted
proxy: each proxy appends the address it was connected from, so everything left of that is what
the client itself sent and may be forged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "0.0.0.0"  # noqa: S104 - a key for requests with no address, never bound


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16"]`` → networks; raises ValueError naming a bad entry."""
    out: list[Network] = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR range") from None
    return tuple(out)


@lru_cache(maxsize=8)
def _trusted(items: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(items)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:5123"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]
) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see the module docstring for the rule)."""
    remote = str(request.META.get("REMOTE_ADDR") or UNKNOWN)
    proxies: list[str] = getattr(settings, "TRUSTED_PROXIES", [])
    if not proxies:
        return remote
    networks = _trusted(tuple(proxies))
    peer = _address(remote)
    if peer is None or not _is_trusted(peer, networks):
        return remote
    hops = [h for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    client = str(peer)
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage where the proxy should have written an address: stop at the last good hop
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client
