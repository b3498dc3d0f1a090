"""The instance's signing key ring and the public URLs that signed documents refer to."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from lib.instance_keys import instance_ring
from lib.keys import KeyRing


def signing_ring() -> KeyRing:
    """The instance key ring (one for credentials, status lists and evidence bundles)."""
    return instance_ring()


def public_url(path: str) -> str:
    """An absolute URL on this instance (``PUBLIC_URL`` + path)."""
    return settings.PUBLIC_URL + path


def issuer_id() -> str:
    """The issuer of every credential: the instance's origin, which serves the JWKS."""
    return settings.PUBLIC_URL


def status_list_url(purpose: str) -> str:
    return public_url(reverse(f"trustmarks_api:status-{purpose}"))
